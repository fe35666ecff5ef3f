/**
 * SQL for the API and the page, as plain functions returning { text, values } so the query
 * building can be tested without a database. "now" is always a parameter: the caller decides
 * what time it is (tests pin it).
 */
import type { ConferenceListQuery } from "./schemas.js";

export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** Escapes LIKE wildcards so a user's "%" or "_" matches literally. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Columns of one conference as the API returns it; `$1` must be "now" (for next_deadline). */
export const CONFERENCE_COLUMNS = `
  c.id, c.acronym, c.name, c.edition_year AS year, c.website, c.city, c.country, c.format,
  c.start_date, c.end_date, c.dates_estimated, c.created_at, c.updated_at,
  CASE WHEN s.id IS NULL THEN NULL ELSE json_build_object(
    'url', s.url, 'dataset_name', s.dataset_name, 'dataset_version', s.dataset_version) END AS source,
  COALESCE((SELECT json_agg(json_build_object('slug', t.slug, 'name', t.name) ORDER BY t.slug)
            FROM conference_topics ct JOIN topics t ON t.id = ct.topic_id
            WHERE ct.conference_id = c.id), '[]'::json) AS topics,
  (SELECT json_build_object('id', d.id, 'kind', d.kind, 'due_at', d.due_at,
                            'timezone', d.timezone_label, 'estimated', d.estimated)
     FROM deadlines d WHERE d.conference_id = c.id AND d.due_at >= $1
     ORDER BY d.due_at, d.id LIMIT 1) AS next_deadline`;

/** WHERE clause and values for the list filters; values start at $2 ($1 is "now"). */
export function conferenceFilters(q: Omit<ConferenceListQuery, "limit" | "offset">): {
  where: string;
  values: unknown[];
} {
  const values: unknown[] = [];
  const conditions: string[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length + 1}`;
  };
  if (q.q !== undefined) {
    const p = param(likePattern(q.q.toLowerCase()));
    conditions.push(`(lower(c.name) LIKE ${p} OR lower(c.acronym) LIKE ${p})`);
  }
  if (q.topic !== undefined) {
    conditions.push(
      `EXISTS (SELECT 1 FROM conference_topics ct JOIN topics t ON t.id = ct.topic_id
               WHERE ct.conference_id = c.id AND t.slug = ${param(q.topic)})`,
    );
  }
  if (q.deadline_within_days !== undefined) {
    conditions.push(
      `EXISTS (SELECT 1 FROM deadlines d WHERE d.conference_id = c.id AND d.due_at >= $1
               AND d.due_at < $1::timestamptz + make_interval(days => ${param(q.deadline_within_days)}::int))`,
    );
  }
  if (q.year !== undefined) conditions.push(`c.edition_year = ${param(q.year)}`);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "", values };
}

/** One page of conferences plus the total that match, as two queries. */
export function conferenceListQueries(q: ConferenceListQuery, now: Date): { page: SqlQuery; count: SqlQuery } {
  const { where, values } = conferenceFilters(q);
  const n = values.length + 1;
  return {
    page: {
      text: `SELECT ${CONFERENCE_COLUMNS}
             FROM conferences c LEFT JOIN sources s ON s.id = c.source_id
             ${where}
             ORDER BY c.start_date ASC NULLS LAST, c.acronym, c.edition_year, c.id
             LIMIT $${n + 1} OFFSET $${n + 2}`,
      values: [now, ...values, q.limit, q.offset],
    },
    count: {
      // $1 is referenced by the deadline filter only; cast keeps its type known when unused.
      text: `SELECT count(*) AS total FROM conferences c WHERE $1::timestamptz IS NOT NULL ${where ? `AND ${where.slice("WHERE ".length)}` : ""}`,
      values: [now, ...values],
    },
  };
}

export function conferenceByIdQuery(id: number, now: Date): SqlQuery {
  return {
    text: `SELECT ${CONFERENCE_COLUMNS}
           FROM conferences c LEFT JOIN sources s ON s.id = c.source_id
           WHERE c.id = $2`,
    values: [now, id],
  };
}

/** The conference's acronym and year, its row locked until the transaction ends. */
export function lockConferenceQuery(id: number): SqlQuery {
  return { text: "SELECT acronym, edition_year AS year FROM conferences WHERE id = $1 FOR UPDATE", values: [id] };
}

export function conferenceExistsQuery(id: number): SqlQuery {
  return { text: "SELECT 1 FROM conferences WHERE id = $1", values: [id] };
}

export function insertConferenceQuery(input: Record<string, unknown>): SqlQuery {
  return buildInsert("conferences", CONFERENCE_FIELD_COLUMNS, input);
}

export function updateConferenceQuery(id: number, input: Record<string, unknown>): SqlQuery | null {
  return buildUpdate("conferences", CONFERENCE_FIELD_COLUMNS, input, { sql: "id = $1", values: [id] });
}

export function deleteConferenceQuery(id: number): SqlQuery {
  return { text: "DELETE FROM conferences WHERE id = $1", values: [id] };
}

/** The topics among `slugs` that exist: { id, slug } rows. */
export function topicsBySlugQuery(slugs: readonly string[]): SqlQuery {
  return { text: "SELECT id, slug FROM topics WHERE slug = ANY($1::text[])", values: [[...slugs]] };
}

/** Two statements that make `topicIds` the conference's topics: remove the old ones, add these. */
export function replaceTopicsQueries(conferenceId: number, topicIds: readonly number[]): SqlQuery[] {
  const clear = { text: "DELETE FROM conference_topics WHERE conference_id = $1", values: [conferenceId] };
  if (topicIds.length === 0) return [clear];
  return [
    clear,
    {
      text: "INSERT INTO conference_topics (conference_id, topic_id) SELECT $1, unnest($2::bigint[])",
      values: [conferenceId, [...topicIds]],
    },
  ];
}

export const DEADLINE_COLUMNS = `d.id, d.conference_id, d.kind, d.due_at, d.timezone_label AS timezone,
  d.estimated, d.note, d.created_at, d.updated_at`;

/** A conference's deadlines, in the order they fall due. */
export function conferenceDeadlinesQuery(conferenceId: number): SqlQuery {
  return {
    text: `SELECT ${DEADLINE_COLUMNS} FROM deadlines d WHERE d.conference_id = $1 ORDER BY d.due_at, d.id`,
    values: [conferenceId],
  };
}

export function deadlineQuery(conferenceId: number, deadlineId: number): SqlQuery {
  return {
    text: `SELECT ${DEADLINE_COLUMNS} FROM deadlines d WHERE d.id = $1 AND d.conference_id = $2`,
    values: [deadlineId, conferenceId],
  };
}

export function insertDeadlineQuery(conferenceId: number, input: Record<string, unknown>): SqlQuery {
  return buildInsert("deadlines", DEADLINE_FIELD_COLUMNS, input, { conference_id: conferenceId });
}

export function updateDeadlineQuery(conferenceId: number, deadlineId: number, input: Record<string, unknown>): SqlQuery | null {
  return buildUpdate("deadlines", DEADLINE_FIELD_COLUMNS, input, {
    sql: "id = $1 AND conference_id = $2",
    values: [deadlineId, conferenceId],
  });
}

export function deleteDeadlineQuery(conferenceId: number, deadlineId: number): SqlQuery {
  return { text: "DELETE FROM deadlines WHERE id = $1 AND conference_id = $2", values: [deadlineId, conferenceId] };
}

export function upcomingDeadlinesQuery(now: Date, days: number, limit: number): SqlQuery {
  return {
    text: `SELECT d.id, d.kind, d.due_at, d.timezone_label AS timezone, d.estimated, d.note,
                  c.id AS conference_id, c.acronym, c.name, c.edition_year AS year,
                  c.website, c.dates_estimated
           FROM deadlines d JOIN conferences c ON c.id = d.conference_id
           WHERE d.due_at >= $1 AND d.due_at < $1::timestamptz + make_interval(days => $2::int)
           ORDER BY d.due_at, c.acronym, d.id
           LIMIT $3`,
    values: [now, days, limit],
  };
}

/**
 * Whether an edition has ended, as SQL over `c`: once its last day is over everywhere (AoE, UTC-12);
 * without dates, once its year is over and none of its deadlines is ahead. The statements that use
 * it start with the values of endedParams: `$1` now, `$2` the UTC date 12 hours before now (a last
 * day before it is over in AoE too), `$3` now's UTC year; computed here, not per row in SQL.
 */
const EDITION_ENDED = `CASE WHEN COALESCE(c.end_date, c.start_date) IS NOT NULL
    THEN COALESCE(c.end_date, c.start_date) < $2::date
    ELSE c.edition_year < $3::int
         AND NOT EXISTS (SELECT 1 FROM deadlines d WHERE d.conference_id = c.id AND d.due_at >= $1::timestamptz)
  END`;

/** [$1 now, $2 the UTC date 12 hours before now, $3 now's UTC year]: see EDITION_ENDED. */
export function endedParams(now: Date): [Date, string, number] {
  return [now, new Date(now.getTime() - 12 * 60 * 60 * 1000).toISOString().slice(0, 10), now.getUTCFullYear()];
}

const EDITION_FIELDS = `c.id, c.acronym, c.name, c.edition_year AS year, c.website, c.city, c.country, c.format,
  c.start_date, c.end_date, c.dates_estimated, s.url AS cfp_url, s.dataset_name, s.dataset_version`;

/** An edition's deadline as JSON, in the shape listing.ts reads. */
const DEADLINE_JSON = `json_build_object('id', d.id, 'kind', d.kind, 'due_at', d.due_at,
  'timezone', d.timezone_label, 'estimated', d.estimated, 'note', d.note)`;

/** The page's filters as SQL over `c`: values start after endedParams'. */
export interface EditionFilters {
  q?: string;
  /** Any of these topic slugs. */
  topics: readonly string[];
}

function editionWhere(f: EditionFilters, values: unknown[]): string {
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const conditions: string[] = [];
  if (f.q !== undefined) {
    const p = param(likePattern(f.q.toLowerCase()));
    conditions.push(`(lower(c.name) LIKE ${p} OR lower(c.acronym) LIKE ${p})`);
  }
  if (f.topics.length > 0) {
    conditions.push(
      `EXISTS (SELECT 1 FROM conference_topics ct JOIN topics t ON t.id = ct.topic_id
               WHERE ct.conference_id = c.id AND t.slug = ANY(${param([...f.topics])}::text[]))`,
    );
  }
  return conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
}

/**
 * The editions the page lists, one statement: those matching the filters, ended ones only with
 * `includeEnded`; those not ended first, then by their next deadline among `kinds`, then by date.
 * Topics and deadlines come as JSON arrays, aggregated once for the listed editions (a join, not a
 * subquery per row).
 */
export function pageEditionsQuery(
  f: EditionFilters & { kinds: readonly string[]; includeEnded: boolean },
  now: Date,
  limit: number,
): SqlQuery {
  const values: unknown[] = endedParams(now);
  const where = editionWhere(f, values);
  values.push(f.includeEnded, [...f.kinds], limit);
  const n = values.length;
  return {
    text: `WITH listed AS (
             SELECT id, ended FROM (SELECT c.id, ${EDITION_ENDED} AS ended FROM conferences c ${where}) m
             WHERE $${n - 2}::boolean OR NOT ended),
           dl AS (
             SELECT d.conference_id, json_agg(${DEADLINE_JSON} ORDER BY d.due_at, d.id) AS deadlines,
                    min(d.due_at) FILTER (WHERE d.due_at >= $1 AND d.kind::text = ANY($${n - 1}::text[])) AS next_due
             FROM deadlines d JOIN listed ON listed.id = d.conference_id GROUP BY d.conference_id),
           tp AS (
             SELECT ct.conference_id, json_agg(json_build_object('slug', t.slug, 'name', t.name) ORDER BY t.name) AS topics
             FROM conference_topics ct JOIN listed ON listed.id = ct.conference_id JOIN topics t ON t.id = ct.topic_id
             GROUP BY ct.conference_id)
           SELECT ${EDITION_FIELDS}, COALESCE(tp.topics, '[]'::json) AS topics,
                  COALESCE(dl.deadlines, '[]'::json) AS deadlines, listed.ended
           FROM listed JOIN conferences c ON c.id = listed.id
             LEFT JOIN sources s ON s.id = c.source_id
             LEFT JOIN dl ON dl.conference_id = c.id
             LEFT JOIN tp ON tp.conference_id = c.id
           ORDER BY listed.ended, dl.next_due NULLS LAST, c.start_date NULLS LAST, c.acronym, c.edition_year
           LIMIT $${n}`,
    values,
  };
}

/**
 * Everything else on the page, one statement: how many editions exist, match and have ended
 * among those that match; the topics with their edition counts; the last `runs` ingest runs.
 */
export function pageSummaryQuery(f: EditionFilters, now: Date, runs: number): SqlQuery {
  const values: unknown[] = endedParams(now);
  const where = editionWhere(f, values);
  values.push(runs);
  return {
    text: `WITH matching AS (SELECT ${EDITION_ENDED} AS ended FROM conferences c ${where})
           SELECT (SELECT count(*) FROM conferences) AS all_count,
                  (SELECT count(*) FROM matching) AS matching_count,
                  (SELECT count(*) FROM matching WHERE ended) AS ended_count,
                  (SELECT COALESCE(json_agg(tc ORDER BY tc.name, tc.slug), '[]'::json) FROM (
                     SELECT t.slug, t.name, count(ct.conference_id) AS conference_count
                     FROM topics t LEFT JOIN conference_topics ct ON ct.topic_id = t.id GROUP BY t.id) tc) AS topics,
                  (SELECT COALESCE(json_agg(r ORDER BY r.started_at DESC, r.id DESC), '[]'::json) FROM (
                     SELECT id, started_at, finished_at, status, trigger, dataset_name, dataset_version,
                            rows_inserted, rows_updated, rows_unchanged, error
                     FROM ingest_runs ORDER BY started_at DESC, id DESC LIMIT $${values.length}) r) AS runs`,
    values,
  };
}

/** One edition by acronym (any case) and year, with the years of its other editions. */
export function editionQuery(acronym: string, year: number, now: Date): SqlQuery {
  return {
    text: `SELECT ${EDITION_FIELDS}, ${EDITION_ENDED} AS ended,
             COALESCE((SELECT json_agg(json_build_object('slug', t.slug, 'name', t.name) ORDER BY t.name)
                       FROM conference_topics ct JOIN topics t ON t.id = ct.topic_id
                       WHERE ct.conference_id = c.id), '[]'::json) AS topics,
             COALESCE((SELECT json_agg(${DEADLINE_JSON} ORDER BY d.due_at, d.id)
                       FROM deadlines d WHERE d.conference_id = c.id), '[]'::json) AS deadlines,
             COALESCE((SELECT json_agg(o.edition_year ORDER BY o.edition_year) FROM conferences o
                       WHERE lower(o.acronym) = lower(c.acronym) AND o.id <> c.id), '[]'::json) AS other_years
           FROM conferences c LEFT JOIN sources s ON s.id = c.source_id
           WHERE lower(c.acronym) = lower($4) AND c.edition_year = $5`,
    values: [...endedParams(now), acronym, year],
  };
}

export function ingestRunsQuery(limit: number): SqlQuery {
  return {
    text: `SELECT id, started_at, finished_at, status, trigger, dataset_name, dataset_version,
                  rows_inserted, rows_updated, rows_unchanged, error
           FROM ingest_runs ORDER BY started_at DESC, id DESC LIMIT $1`,
    values: [limit],
  };
}

export const TOPICS_QUERY = `SELECT t.id, t.slug, t.name, count(ct.conference_id) AS conference_count
  FROM topics t LEFT JOIN conference_topics ct ON ct.topic_id = t.id
  GROUP BY t.id ORDER BY t.name, t.slug`;

/** API field -> column, for INSERT and UPDATE built from validated input. */
export const CONFERENCE_FIELD_COLUMNS = {
  acronym: "acronym",
  name: "name",
  year: "edition_year",
  website: "website",
  city: "city",
  country: "country",
  format: "format",
  start_date: "start_date",
  end_date: "end_date",
  dates_estimated: "dates_estimated",
} as const;

export const DEADLINE_FIELD_COLUMNS = {
  kind: "kind",
  due_at: "due_at",
  timezone: "timezone_label",
  estimated: "estimated",
  note: "note",
} as const;

/** The columns of a constraint (on `table`, if given), last column first: `attname` rows. */
export function constraintColumnsQuery(constraint: string, table: string | undefined): SqlQuery {
  return {
    text: `SELECT a.attname
           FROM pg_constraint con
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
           WHERE con.conname = $1 AND ($2::text IS NULL OR con.conrelid = $2::regclass)
           ORDER BY a.attnum DESC`,
    values: [constraint, table ?? null],
  };
}

/** Column -> API field, for naming the field of a constraint violation. */
export const COLUMN_FIELDS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(CONFERENCE_FIELD_COLUMNS).map(([f, c]) => [c, f])),
  ...Object.fromEntries(Object.entries(DEADLINE_FIELD_COLUMNS).map(([f, c]) => [c, f])),
};

/**
 * "UPDATE table SET a = $2, b = $3 WHERE id = $1 ..." from the fields present in `input`
 * (only keys listed in `columns`; values validated beforehand). Returns null if nothing to set.
 */
export function buildUpdate(
  table: string,
  columns: Record<string, string>,
  input: Record<string, unknown>,
  where: { sql: string; values: unknown[] },
): SqlQuery | null {
  const values = [...where.values];
  const sets: string[] = [];
  for (const [field, column] of Object.entries(columns)) {
    if (!(field in input) || input[field] === undefined) continue;
    values.push(input[field]);
    sets.push(`${column} = $${values.length}`);
  }
  if (sets.length === 0) return null;
  return { text: `UPDATE ${table} SET ${sets.join(", ")} WHERE ${where.sql} RETURNING id`, values };
}

/** "INSERT INTO table (a, b) VALUES ($1, $2) RETURNING id" from the fields present in `input`. */
export function buildInsert(
  table: string,
  columns: Record<string, string>,
  input: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): SqlQuery {
  const cols: string[] = [];
  const values: unknown[] = [];
  for (const [column, value] of Object.entries(extra)) {
    cols.push(column);
    values.push(value);
  }
  for (const [field, column] of Object.entries(columns)) {
    if (!(field in input) || input[field] === undefined) continue;
    cols.push(column);
    values.push(input[field]);
  }
  return {
    text: `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING id`,
    values,
  };
}
