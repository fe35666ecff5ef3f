import type pg from "pg";
import type { Logger } from "pino";
import type { Db } from "../db.js";
import { redact } from "../redact.js";
import { loadDataset, type Dataset } from "./dataset.js";

export type IngestTrigger = "schedule" | "manual";

export const INGEST_TABLES = ["topics", "sources", "conferences", "deadlines", "conference_topics"] as const;
export type IngestTable = (typeof INGEST_TABLES)[number];

export interface RowCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface IngestResult extends RowCounts {
  runId: number;
  status: "succeeded" | "failed";
  trigger: IngestTrigger;
  dataset?: { name: string; version: string };
  byTable: Record<IngestTable, RowCounts>;
  error?: string;
  durationMs: number;
}

/** Another ingest holds the lock; nothing was written and no run was recorded. */
export class IngestAlreadyRunningError extends Error {
  constructor() {
    super(
      "another ingest is already running on this database (advisory lock confradar-ingest); " +
        "it is recorded in ingest_runs: wait for it to finish and try again",
    );
    this.name = "IngestAlreadyRunningError";
  }
}

/**
 * Two-key advisory lock (class, id): a different key space from node-pg-migrate's single bigint
 * lock, so an ingest never blocks a migration or the other way round.
 */
export const INGEST_LOCK: readonly [number, number] = [0x436f6e66, 1]; // "Conf", ingest

/**
 * PGlite serves every connection from one backend, where advisory locks are re-entrant; this
 * in-process set, keyed by the database address, is what stops a second run there (only one
 * process may open a PGlite folder anyway).
 */
const runningInProcess = new Set<string>();

const MAX_ERROR_CHARS = 4000;

function emptyCounts(): Record<IngestTable, RowCounts> {
  return Object.fromEntries(INGEST_TABLES.map((t) => [t, { inserted: 0, updated: 0, unchanged: 0 }])) as Record<
    IngestTable,
    RowCounts
  >;
}

function total(byTable: Record<IngestTable, RowCounts>): RowCounts {
  const sum = { inserted: 0, updated: 0, unchanged: 0 };
  for (const c of Object.values(byTable)) {
    sum.inserted += c.inserted;
    sum.updated += c.updated;
    sum.unchanged += c.unchanged;
  }
  return sum;
}

// One statement per table, whatever the dataset's size: each takes its rows as one JSON array
// parameter (jsonb_to_recordset), so a run is a handful of round trips instead of one per row
// (~3,500 for the shipped dataset; on the embedded store each one crosses the loopback socket and
// the WebAssembly boundary). The dataset's own checks guarantee one row per key in each batch,
// which ON CONFLICT DO UPDATE needs.
//
// `xmax = 0` is true for a row the statement inserted and false for one it updated: the
// documented-in-practice way to tell the two apart in INSERT ... ON CONFLICT ... RETURNING.
// Each upsert's WHERE ... IS DISTINCT FROM skips rows where nothing differs, so an unchanged row
// is not rewritten, its updated_at stays put, and it is not returned: input rows minus returned
// rows are the unchanged ones.
const UPSERT_TOPICS = `
  INSERT INTO topics AS t (slug, name)
  SELECT slug, name FROM jsonb_to_recordset($1::jsonb) AS r(slug text, name text)
  ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
  WHERE t.name IS DISTINCT FROM EXCLUDED.name
  RETURNING (xmax = 0) AS inserted`;

// last_seen_at moves when a new dataset version still lists the source, not on every run:
// otherwise every run would rewrite every source and never report "no changes".
const UPSERT_SOURCES = `
  INSERT INTO sources AS s (dataset_name, dataset_version, url)
  SELECT $1, $2, url FROM unnest($3::text[]) AS u(url)
  ON CONFLICT (dataset_name, url) DO UPDATE
    SET dataset_version = EXCLUDED.dataset_version, last_seen_at = now()
  WHERE s.dataset_version IS DISTINCT FROM EXCLUDED.dataset_version
  RETURNING (xmax = 0) AS inserted`;

// A conference is its acronym, whatever the case, and its year (the unique index
// conferences_lower_acronym_year_key): "NEURIPS" in the dataset updates an API-made "NeurIPS",
// and the dataset's spelling wins like every other field.
const UPSERT_CONFERENCES = `
  INSERT INTO conferences AS c (acronym, edition_year, name, website, city, country, format,
                                start_date, end_date, dates_estimated, source_id)
  SELECT r.acronym, r.year, r.name, r.website, r.city, r.country, r.format::conference_format,
         r.start_date, r.end_date, r.dates_estimated, s.id
  FROM jsonb_to_recordset($1::jsonb) AS r(acronym text, year int, name text, website text, city text,
         country text, format text, start_date date, end_date date, dates_estimated boolean, source_url text)
  JOIN sources s ON s.dataset_name = $2 AND s.url = r.source_url
  ON CONFLICT (lower(acronym), edition_year) DO UPDATE SET
    acronym = EXCLUDED.acronym,
    name = EXCLUDED.name, website = EXCLUDED.website, city = EXCLUDED.city, country = EXCLUDED.country,
    format = EXCLUDED.format, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,
    dates_estimated = EXCLUDED.dates_estimated, source_id = EXCLUDED.source_id
  WHERE (c.acronym, c.name, c.website, c.city, c.country, c.format, c.start_date, c.end_date, c.dates_estimated,
         c.source_id)
        IS DISTINCT FROM
        (EXCLUDED.acronym, EXCLUDED.name, EXCLUDED.website, EXCLUDED.city, EXCLUDED.country, EXCLUDED.format,
         EXCLUDED.start_date, EXCLUDED.end_date, EXCLUDED.dates_estimated, EXCLUDED.source_id)
  RETURNING (xmax = 0) AS inserted`;

// Deadlines and topic links name their conference by (acronym, year), resolved here through the
// same case-insensitive key the conference upsert just wrote.
const UPSERT_DEADLINES = `
  INSERT INTO deadlines AS d (conference_id, kind, due_at, timezone_label, estimated, note)
  SELECT c.id, r.kind::deadline_kind, r.due_at, r.timezone, r.estimated, r.note
  FROM jsonb_to_recordset($1::jsonb) AS r(acronym text, year int, kind text, due_at timestamptz, timezone text,
         estimated boolean, note text)
  JOIN conferences c ON lower(c.acronym) = lower(r.acronym) AND c.edition_year = r.year
  ON CONFLICT (conference_id, kind) DO UPDATE SET
    due_at = EXCLUDED.due_at, timezone_label = EXCLUDED.timezone_label,
    estimated = EXCLUDED.estimated, note = EXCLUDED.note
  WHERE (d.due_at, d.timezone_label, d.estimated, d.note)
        IS DISTINCT FROM (EXCLUDED.due_at, EXCLUDED.timezone_label, EXCLUDED.estimated, EXCLUDED.note)
  RETURNING (xmax = 0) AS inserted`;

const LINK_TOPICS = `
  INSERT INTO conference_topics (conference_id, topic_id)
  SELECT c.id, t.id
  FROM jsonb_to_recordset($1::jsonb) AS r(acronym text, year int, slug text)
  JOIN conferences c ON lower(c.acronym) = lower(r.acronym) AND c.edition_year = r.year
  JOIN topics t ON t.slug = r.slug
  ON CONFLICT (conference_id, topic_id) DO NOTHING
  RETURNING true AS inserted`;

/** Runs one batch upsert and counts its rows; `expected` is how many rows the batch should reach. */
async function upsertBatch(
  client: pg.ClientBase,
  table: IngestTable,
  sql: string,
  values: unknown[],
  expected: number,
): Promise<RowCounts> {
  if (expected === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const { rows } = await client.query<{ inserted: boolean }>(sql, values);
  const inserted = rows.filter((r) => r.inserted).length;
  const updated = rows.length - inserted;
  if (rows.length > expected) throw new Error(`ingest: the ${table} upsert touched ${rows.length} rows for ${expected}`);
  return { inserted, updated, unchanged: expected - rows.length };
}

/**
 * Writes the whole dataset with idempotent upserts on `client`, inside the caller's transaction.
 * Never deletes: a row that leaves the dataset stays until removed through the API.
 */
export async function upsertDataset(client: pg.ClientBase, dataset: Dataset): Promise<Record<IngestTable, RowCounts>> {
  const { name: datasetName, version } = dataset.dataset;
  const sourceUrls = [...new Set(dataset.conferences.map((c) => c.source.url))];
  const deadlines = dataset.conferences.flatMap((c) =>
    c.deadlines.map((d) => ({
      acronym: c.acronym,
      year: c.year,
      kind: d.kind,
      due_at: d.due_at,
      timezone: d.timezone,
      estimated: d.estimated,
      note: d.note,
    })),
  );
  const links = dataset.conferences.flatMap((c) =>
    [...new Set(c.topics)].map((slug) => ({ acronym: c.acronym, year: c.year, slug })),
  );
  const conferences = dataset.conferences.map((c) => ({
    acronym: c.acronym,
    year: c.year,
    name: c.name,
    website: c.website,
    city: c.city,
    country: c.country,
    format: c.format,
    start_date: c.start_date,
    end_date: c.end_date,
    dates_estimated: c.dates_estimated,
    source_url: c.source.url,
  }));
  // In dependency order: sources and topics, then conferences, then what hangs off them.
  const topics = await upsertBatch(client, "topics", UPSERT_TOPICS, [JSON.stringify(dataset.topics)], dataset.topics.length);
  const sources = await upsertBatch(client, "sources", UPSERT_SOURCES, [datasetName, version, sourceUrls], sourceUrls.length);
  return {
    topics,
    sources,
    conferences: await upsertBatch(
      client,
      "conferences",
      UPSERT_CONFERENCES,
      [JSON.stringify(conferences), datasetName],
      conferences.length,
    ),
    deadlines: await upsertBatch(client, "deadlines", UPSERT_DEADLINES, [JSON.stringify(deadlines)], deadlines.length),
    conference_topics: await upsertBatch(client, "conference_topics", LINK_TOPICS, [JSON.stringify(links)], links.length),
  };
}

export interface RunIngestOptions {
  db: Db;
  logger: Logger;
  datasetPath: string;
  trigger: IngestTrigger;
  /** Test hook: called inside the transaction after the upserts, before COMMIT. */
  beforeCommit?: (client: pg.ClientBase) => Promise<void>;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; detail?: string } | undefined;
  const text = redact(`${e?.message ?? String(err)}${e?.detail ? ` (${e.detail})` : ""}`);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/**
 * One ingest run: takes the lock, records the run as running, imports the dataset in one
 * transaction, and records the outcome. The run record is written outside that transaction,
 * so a failure leaves a "failed" record with the error and none of the dataset's rows.
 * Resolves with status "failed" for a bad dataset or a failed import; throws
 * IngestAlreadyRunningError if another run holds the lock, or the database error if even the
 * run record cannot be written.
 */
export async function runIngest(opts: RunIngestOptions): Promise<IngestResult> {
  const { db, logger } = opts;
  if (runningInProcess.has(db.connectionString)) throw new IngestAlreadyRunningError();
  runningInProcess.add(db.connectionString);
  const started = Date.now();
  try {
    // One client for the lock, the run record and the transaction: the run needs one connection,
    // whatever PG_POOL_MAX is.
    return await db.withClient(async (client) => {
      const { rows: lock } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [
        ...INGEST_LOCK,
      ]);
      if (!lock[0]?.locked) throw new IngestAlreadyRunningError();
      try {
        return await runLocked(client, opts, started);
      } finally {
        await client.query("SELECT pg_advisory_unlock($1, $2)", [...INGEST_LOCK]).catch((err: unknown) => {
          logger.warn({ err }, "could not release the ingest lock; it goes when the connection closes");
        });
      }
    });
  } finally {
    runningInProcess.delete(db.connectionString);
  }
}

async function runLocked(client: pg.PoolClient, opts: RunIngestOptions, started: number): Promise<IngestResult> {
  const { logger, trigger } = opts;
  // Holding the lock, no other run can be live: a "running" record is left over from a process
  // that died mid-run. Close it so the history does not show it running forever.
  const stale = await client.query(
    `UPDATE ingest_runs SET status = 'failed', finished_at = greatest(now(), started_at),
       error = 'interrupted: the process running it stopped before it finished'
     WHERE status = 'running'`,
  );
  if (stale.rowCount) logger.warn({ runs: stale.rowCount }, "marked interrupted ingest runs as failed");

  const { rows } = await client.query<{ id: number }>("INSERT INTO ingest_runs (trigger) VALUES ($1) RETURNING id", [trigger]);
  const runId = Number(rows[0]!.id);
  const log = logger.child({ ingestRun: runId, trigger });
  log.info({ dataset: opts.datasetPath }, "ingest started");

  let dataset: Dataset | undefined;
  let byTable = emptyCounts();
  try {
    dataset = await loadDataset(opts.datasetPath);
    await client.query("UPDATE ingest_runs SET dataset_name = $2, dataset_version = $3 WHERE id = $1", [
      runId,
      dataset.dataset.name,
      dataset.dataset.version,
    ]);
    const data = dataset;
    await client.query("BEGIN");
    try {
      byTable = await upsertDataset(client, data);
      if (opts.beforeCommit) await opts.beforeCommit(client);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  } catch (err) {
    const error = errorText(err);
    await client.query(
      `UPDATE ingest_runs SET status = 'failed', finished_at = greatest(now(), started_at), error = $2 WHERE id = $1`,
      [runId, error],
    );
    log.error({ err }, "ingest failed; nothing was imported");
    return {
      runId,
      status: "failed",
      trigger,
      ...(dataset ? { dataset: dataset.dataset } : {}),
      byTable: emptyCounts(),
      inserted: 0,
      updated: 0,
      unchanged: 0,
      error,
      durationMs: Date.now() - started,
    };
  }

  const sum = total(byTable);
  await client.query(
    `UPDATE ingest_runs SET status = 'succeeded', finished_at = greatest(now(), started_at),
       rows_inserted = $2, rows_updated = $3, rows_unchanged = $4 WHERE id = $1`,
    [runId, sum.inserted, sum.updated, sum.unchanged],
  );
  const changes = sum.inserted + sum.updated;
  log.info(
    { ...sum, byTable, dataset: dataset.dataset },
    changes === 0
      ? `ingest finished: no changes (${sum.unchanged} rows already up to date)`
      : `ingest finished: ${sum.inserted} inserted, ${sum.updated} updated, ${sum.unchanged} unchanged`,
  );
  return { runId, status: "succeeded", trigger, dataset: dataset.dataset, byTable, ...sum, durationMs: Date.now() - started };
}
