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

export const DEADLINE_COLUMNS = `d.id, d.conference_id, d.kind, d.due_at, d.timezone_label AS timezone,
  d.estimated, d.note, d.created_at, d.updated_at`;

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
