/**
 * The integration-test database harness. Every test FILE gets its own freshly migrated database:
 * - on a real server (TEST_DATABASE_URL = an admin URL): a clone of a migrated template made once per
 *   run by tests/helpers/global-setup.ts, taken ready-made from the spares that setup fills in the
 *   background, or cloned on the spot when none is left (server-clones.ts); dropped on close();
 * - on PGlite (default): a new in-memory PGlite loaded from a data-dir dump of a migrated template,
 *   served on 127.0.0.1 like resolveDatabase() does.
 *
 *   const db = await freshDatabase();          // in beforeAll
 *   const pool = new pg.Pool({ connectionString: db.connectionString });
 *   ...
 *   await pool.end(); await db.close();         // in afterAll
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { runMigrations } from "../../app/src/migrate/index.js";
import { dumpPgliteToFile, readPgliteDump, servePglite } from "../../app/src/store/index.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimSpare, cloneTemplate, quoteIdent, withAdmin } from "./server-clones.js";

export { quoteIdent };

export type TestDatabaseKind = "postgres" | "pglite";

export interface TestDatabase {
  /** A postgres:// URL for pg / node-pg-migrate. On a real server it connects as the admin role. */
  connectionString: string;
  kind: TestDatabaseKind;
  /** Drops the database (server) or stops the embedded instance (PGlite). Safe to call twice. */
  close(): Promise<void>;
}

/** What global-setup.ts hands to the test files. */
export type TemplateInfo =
  { kind: "postgres"; templateName: string; runId: string } | { kind: "pglite"; dumpFile: string; runId: string };

declare module "vitest" {
  export interface ProvidedContext {
    confradarTemplate: TemplateInfo | undefined;
  }
}

/**
 * The store this run uses. In CI (CI=true) the choice must be explicit, so that a run that lost its
 * TEST_DATABASE_URL cannot pass with the server-only tests silently missing.
 */
export function testDatabaseKind(env: NodeJS.ProcessEnv = process.env): TestDatabaseKind {
  if (env.TEST_DATABASE_URL) return "postgres";
  if (env.CI === "true" && env.CONFRADAR_TEST_STORE !== "pglite") {
    throw new Error(
      "CI=true but TEST_DATABASE_URL is not set. Start a server with scripts/ci/start-postgres and export " +
        "the TEST_DATABASE_URL it prints, or set CONFRADAR_TEST_STORE=pglite to run the embedded pass on " +
        "purpose (tests/integration/server/ then is not part of the run).",
    );
  }
  return "pglite";
}

export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("TEST_DATABASE_URL is not set: run scripts/ci/start-postgres and export what it prints");
  return url;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export async function adminQuery(sql: string, url: string = adminUrl()): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: "confradar-test-harness" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function uniqueName(prefix: string, runId: string): string {
  return `${prefix}_${runId}_${randomBytes(4).toString("hex")}`;
}

export function newRunId(): string {
  return `${Date.now().toString(36)}${process.pid.toString(36)}`;
}

async function createServerDatabase(template: string | null, runId: string): Promise<TestDatabase> {
  const name = uniqueName("confradar_t", runId);
  const admin = adminUrl();
  await withAdmin(admin, async (client) => {
    if (template === null) await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    else if (!(await claimSpare(client, runId, name))) await cloneTemplate(client, template, name);
  });
  let closed = false;
  return {
    kind: "postgres",
    connectionString: withDatabase(admin, name),
    async close() {
      if (closed) return;
      closed = true;
      await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`, admin);
    },
  };
}

let localRunId: string | undefined;
let localPgliteDump: Promise<Blob> | undefined;
let providedPgliteDump: Promise<Blob> | undefined;

function template(): TemplateInfo | undefined {
  try {
    return inject("confradarTemplate");
  } catch {
    return undefined;
  }
}

/**
 * A database with every migration applied, for this test file alone. Without the global setup (a
 * project that does not load it) it still works, by migrating from scratch: slower, same result.
 */
export async function freshDatabase(): Promise<TestDatabase> {
  const kind = testDatabaseKind();
  const info = template();
  if (kind === "postgres") {
    if (info?.kind === "postgres") return createServerDatabase(info.templateName, info.runId);
    localRunId ??= newRunId();
    const db = await createServerDatabase(null, localRunId);
    await runMigrations({ databaseUrl: db.connectionString }).catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    return db;
  }
  let dump: Promise<Blob>;
  if (info?.kind === "pglite") {
    dump = providedPgliteDump ??= readPgliteDump(info.dumpFile);
  } else {
    dump = localPgliteDump ??= (async () => {
      const file = join(tmpdir(), `confradar-pglite-${newRunId()}.tar`);
      await buildPgliteTemplate(file);
      return readPgliteDump(file);
    })();
  }
  const served = await servePglite({ dataDir: null, loadDataDir: await dump });
  return { kind: "pglite", connectionString: served.connectionString, close: () => served.close() };
}

/** A database with nothing applied (for migration tests), for this test file alone. */
export async function emptyDatabase(): Promise<TestDatabase> {
  const kind = testDatabaseKind();
  if (kind === "postgres") {
    const info = template();
    localRunId ??= info?.runId ?? newRunId();
    return createServerDatabase(null, localRunId);
  }
  const served = await servePglite({ dataDir: null });
  return { kind: "pglite", connectionString: served.connectionString, close: () => served.close() };
}

/** Migrates a new in-memory PGlite to head and writes its data dir to `file`. */
export async function buildPgliteTemplate(file: string): Promise<void> {
  const served = await servePglite({ dataDir: null });
  try {
    await runMigrations({ databaseUrl: served.connectionString });
    await dumpPgliteToFile(served.db, file);
  } finally {
    await served.close();
  }
}

/** Creates and migrates the server-side template database; returns its name. */
export async function buildServerTemplate(runId: string): Promise<string> {
  const name = `confradar_tpl_${runId}`;
  const admin = adminUrl();
  await adminQuery(`CREATE DATABASE ${quoteIdent(name)}`, admin);
  try {
    await runMigrations({ databaseUrl: withDatabase(admin, name) });
  } catch (error) {
    await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`, admin);
    throw error;
  }
  return name;
}
