/**
 * A freshly migrated database per test file for the app's integration tests, opened as the app
 * opens it (openDatabase: the same pool, type parsers and error handling).
 * Embedded PGlite in memory by default; with TEST_DATABASE_URL (a role that may CREATE DATABASE)
 * a new database on that server, dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Db } from "../../app/src/db.js";
import { createLogger, type Logger } from "../../app/src/logger.js";
import { runMigrations } from "../../app/src/migrate/index.js";

export const silentLogger: Logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

export interface TestDatabase {
  db: Db;
  /** A second, independent pool on the same database (for concurrency tests). */
  openAnother(): Promise<Db>;
  close(): Promise<void>;
}

const pool = { max: 5, idleTimeoutMs: 1000, connectionTimeoutMs: 10_000, statementTimeoutMs: 30_000 };

async function createServerDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `confradar_app_test_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const server = serverUrl ? await createServerDatabase(serverUrl) : undefined;
  const db = await openDatabase({
    databaseUrl: server?.url ?? "pglite:memory",
    pool,
    startupTimeoutMs: 10_000,
    applicationName: "confradar-app-test",
    logger: silentLogger,
  });
  await runMigrations({ databaseUrl: db.connectionString });
  const others: Db[] = [];
  return {
    db,
    async openAnother() {
      const other = await openDatabase({
        databaseUrl: db.connectionString,
        pool,
        startupTimeoutMs: 10_000,
        applicationName: "confradar-app-test-2",
        logger: silentLogger,
      });
      others.push(other);
      return other;
    },
    async close() {
      for (const o of others) await o.close();
      await db.close();
      await server?.drop();
    },
  };
}

export async function countRows(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return rows[0]!.n;
}

export async function countAll(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ["conferences", "deadlines", "topics", "conference_topics", "sources", "ingest_runs"]) {
    out[t] = await countRows(db, t);
  }
  return out;
}

export const FIXTURE_DATASET = new URL("../fixtures/app-dataset.json", import.meta.url).pathname;
