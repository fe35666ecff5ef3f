/**
 * Migrated databases for test files on a PostgreSQL server, made from one migrated template.
 *
 * `CREATE DATABASE ... TEMPLATE` costs 50-130 ms on the CI server whatever the strategy (it copies
 * the template's ~8 MB of catalogs), as much as the empty `CREATE DATABASE` that migrating from
 * scratch starts with; that alone kept a clone at ~1.2-2x of migrating. So the clones are made
 * ahead: the run's global setup fills "spares" in the background while vitest starts its workers,
 * and a test file takes one with `ALTER DATABASE spare RENAME TO its own name` (a catalog update,
 * a few ms; atomic, so two files never get the same spare). A file that finds none left clones the
 * template itself. Nobody connects to the template or a spare, so neither waits for sessions to go
 * (CREATE DATABASE and RENAME refuse, or wait up to 5 s, while any session is in the source).
 */
import pg from "pg";

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Spares of one run are `confradar_spare_<runId>_<n>`; the pattern finds them all (LIKE). */
export function spareName(runId: string, n: number): string {
  return `confradar_spare_${runId}_${n}`;
}

function sparePattern(runId: string): string {
  return `${spareName(runId, 0).slice(0, -1).replace(/_/g, "\\_")}%`;
}

/** How a clone copies the template (PostgreSQL 15+; before 15 there is only the file copy). */
export type CloneStrategy = "WAL_LOG" | "FILE_COPY";

/**
 * FILE_COPY: copies the template's files instead of WAL-logging every page (the 15+ default). On
 * the CI server (fsync off) its two checkpoints cost next to nothing; npm run bench:test-db prints
 * both strategies side by side.
 */
export const DEFAULT_CLONE_STRATEGY: CloneStrategy = "FILE_COPY";

export async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: "confradar-test-harness" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function serverMajor(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ v: string }>("SHOW server_version_num");
  return Math.floor(Number(rows[0]?.v ?? 0) / 10_000);
}

/** `CREATE DATABASE name TEMPLATE template`, with the strategy where the server has one. */
export async function cloneTemplate(
  client: pg.ClientBase,
  template: string,
  name: string,
  strategy: CloneStrategy = DEFAULT_CLONE_STRATEGY,
): Promise<void> {
  const withStrategy = (await serverMajor(client)) >= 15 ? ` STRATEGY ${strategy}` : "";
  const sql = `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}${withStrategy}`;
  // Kept from before the spares: a session in the template (someone's psql) makes CREATE wait
  // up to 5 s and then fail with 55006; try again a few times before giving up.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "55006" || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/**
 * Takes one of the run's spares under `name`. False when none is left (all taken, or the
 * background fill has not made one yet): the caller then clones the template itself.
 */
export async function claimSpare(client: pg.ClientBase, runId: string, name: string): Promise<boolean> {
  const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY oid", [
    sparePattern(runId),
  ]);
  for (const { datname } of rows) {
    try {
      await client.query(`ALTER DATABASE ${quoteIdent(datname)} RENAME TO ${quoteIdent(name)}`);
      return true;
    } catch (error) {
      // 3D000: another file renamed it first. Anything else is a real problem.
      if ((error as { code?: string }).code !== "3D000") throw error;
    }
  }
  return false;
}

export interface SpareFill {
  /** Resolves when the fill has stopped (all made, stopped, or failed: a failure only means fewer spares). */
  done: Promise<void>;
  /** Makes no more spares after the one in progress. */
  stop(): void;
}

/** Makes `count` spares of `template`, one after another, on one admin connection. */
export function fillSpares(adminUrl: string, template: string, runId: string, count: number): SpareFill {
  let stopped = false;
  const done = withAdmin(adminUrl, async (client) => {
    for (let n = 0; n < count && !stopped; n++) await cloneTemplate(client, template, spareName(runId, n));
  }).catch((error: unknown) => {
    process.stderr.write(
      `[integration] spare test databases: stopped early (${(error as Error).message}); files clone the template\n`,
    );
  });
  return {
    done,
    stop() {
      stopped = true;
    },
  };
}

/** Drops every spare of the run that no file took. */
export async function dropSpares(client: pg.ClientBase, runId: string): Promise<void> {
  const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
    sparePattern(runId),
  ]);
  for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
}
