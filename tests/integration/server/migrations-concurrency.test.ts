/**
 * Needs a real PostgreSQL server (TEST_DATABASE_URL): PGlite serves every connection from one backend,
 * so advisory locks and lock waits cannot be observed there. vitest.config.ts includes this folder
 * only when TEST_DATABASE_URL is set; in CI the harness refuses to run without either a server or an
 * explicit CONFRADAR_TEST_STORE=pglite (tests/helpers/database.ts), so it is never silently absent.
 */
import { rm } from "node:fs/promises";
import pg from "pg";
import { PG_MIGRATE_LOCK_ID } from "node-pg-migrate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrationNames, MigrationError, MigrationLockTimeoutError, runMigrations } from "../../../app/src/migrate/index.js";
import { emptyDatabase, testDatabaseKind, type TestDatabase } from "../../helpers/database.js";
import { migrationsCopy, rows, withClient } from "../migrations-support.js";

let db: TestDatabase;
let url: string;
let all: string[];
const tempDirs: string[] = [];

beforeAll(async () => {
  if (testDatabaseKind() !== "postgres") {
    throw new Error(
      "tests/integration/server/ needs TEST_DATABASE_URL (run scripts/ci/start-postgres and export what it prints)",
    );
  }
  db = await emptyDatabase();
  url = db.connectionString;
  all = await listMigrationNames();
});

afterAll(async () => {
  await db?.close();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function holdMigrationLock(): Promise<{ release(): Promise<void>; pid: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`SELECT pg_advisory_lock(${PG_MIGRATE_LOCK_ID})`);
  const { rows: r } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  return {
    pid: r[0]!.pid,
    async release() {
      await client.query(`SELECT pg_advisory_unlock(${PG_MIGRATE_LOCK_ID})`);
      await client.end();
    },
  };
}

describe("migrations on a real server: locking and timeouts", () => {
  it("two concurrent runs: exactly one applies, the other waits for the lock and then applies nothing", async () => {
    const results = await Promise.all([
      runMigrations({ databaseUrl: url, lockWaitTimeoutMs: 30_000 }),
      runMigrations({ databaseUrl: url, lockWaitTimeoutMs: 30_000 }),
    ]);
    const ranCounts = results.map((r) => r.ran.length).sort();
    expect(ranCounts).toEqual([0, all.length]);
    const applied = await rows<{ name: string; n: number }>(
      url,
      "SELECT name, count(*)::int AS n FROM migration_ledger.pgmigrations GROUP BY name ORDER BY name",
    );
    expect(applied).toEqual(all.map((name) => ({ name, n: 1 })));
  });

  it("five concurrent down-then-up runs leave one consistent history", async () => {
    await runMigrations({ databaseUrl: url, direction: "down", count: 2 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => runMigrations({ databaseUrl: url, lockWaitTimeoutMs: 30_000 })),
    );
    expect(results.filter((r) => r.ran.length > 0)).toEqual([{ ran: all.slice(-2) }]);
    expect((await rows<{ n: number }>(url, "SELECT count(*)::int AS n FROM migration_ledger.pgmigrations"))[0]!.n).toBe(
      all.length,
    );
  });

  it("waits while another migrator holds the lock and proceeds when it is released", async () => {
    await runMigrations({ databaseUrl: url, direction: "down" });
    const holder = await holdMigrationLock();
    const started = Date.now();
    const run = runMigrations({ databaseUrl: url, lockWaitTimeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 700));
    const waiting = await rows<{ n: number }>(
      url,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'confradar-migrate' AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
    );
    expect(waiting[0]!.n).toBe(1);
    await holder.release();
    expect((await run).ran).toEqual(all.slice(-1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it("gives up after lockWaitTimeoutMs with an error that says what to do, changing nothing", async () => {
    await runMigrations({ databaseUrl: url, direction: "down" });
    const holder = await holdMigrationLock();
    try {
      const started = Date.now();
      const error = await runMigrations({ databaseUrl: url, lockWaitTimeoutMs: 500 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationLockTimeoutError);
      expect((error as Error).message).toMatch(
        /Timed out after 500 ms waiting for the migration lock.*another migration is running/,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await holder.release();
    }
    expect((await rows<{ n: number }>(url, "SELECT count(*)::int AS n FROM migration_ledger.pgmigrations"))[0]!.n).toBe(
      all.length - 1,
    );
    expect((await runMigrations({ databaseUrl: url })).ran).toEqual(all.slice(-1));
  });

  it("takes the lock per database: a migrator on another database is not blocked", async () => {
    const other = await emptyDatabase();
    const holder = await holdMigrationLock();
    try {
      const { ran } = await runMigrations({ databaseUrl: other.connectionString, lockWaitTimeoutMs: 2_000 });
      expect(ran).toEqual(all);
    } finally {
      await holder.release();
      await other.close();
    }
  });

  it("bounds a DDL statement's wait for a table lock with lock_timeout, naming the migration", async () => {
    const name = "20991231000000000_add-column";
    const dir = await migrationsCopy({
      [`${name}.ts`]:
        'export async function up(pgm) { pgm.addColumn("conferences", { notes: "text" }); }\nexport async function down(pgm) { pgm.dropColumn("conferences", "notes"); }\n',
    });
    tempDirs.push(dir);
    await withClient(url, async (reader) => {
      await reader.query("BEGIN");
      await reader.query("SELECT count(*) FROM conferences"); // holds ACCESS SHARE until COMMIT
      const started = Date.now();
      const error = await runMigrations({ databaseUrl: url, migrationsDir: dir, lockTimeoutMs: 300 }).catch((e: unknown) => e);
      await reader.query("COMMIT");
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as MigrationError).migration).toBe(name);
      expect((error as Error).cause).toMatchObject({ code: "55P03" });
      expect(Date.now() - started).toBeLessThan(10_000);
    });
    expect(
      await rows(url, "SELECT 1 FROM information_schema.columns WHERE table_name = 'conferences' AND column_name = 'notes'"),
    ).toEqual([]);
    // With the reader gone the same migration applies, and is reverted to leave the schema as it was.
    expect((await runMigrations({ databaseUrl: url, migrationsDir: dir })).ran).toEqual([name]);
    expect((await runMigrations({ databaseUrl: url, migrationsDir: dir, direction: "down" })).ran).toEqual([name]);
  });

  it("bounds a statement's run time with statement_timeout", async () => {
    const name = "20991231000000000_slow";
    const dir = await migrationsCopy({
      [`${name}.ts`]: 'export async function up(pgm) { pgm.sql("SELECT pg_sleep(5)"); }\nexport async function down() {}\n',
    });
    tempDirs.push(dir);
    const started = Date.now();
    const error = await runMigrations({ databaseUrl: url, migrationsDir: dir, statementTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe(name);
    expect((error as Error).cause).toMatchObject({ code: "57014" });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect((await rows<{ n: number }>(url, "SELECT count(*)::int AS n FROM migration_ledger.pgmigrations"))[0]!.n).toBe(
      all.length,
    );
  });

  it("releases the lock when the migrator's connection dies mid-migration", async () => {
    const name = "20991231000000000_stuck";
    const dir = await migrationsCopy({
      [`${name}.ts`]: 'export async function up(pgm) { pgm.sql("SELECT pg_sleep(30)"); }\nexport async function down() {}\n',
    });
    tempDirs.push(dir);
    const run = runMigrations({ databaseUrl: url, migrationsDir: dir }).catch((e: unknown) => e);
    // Wait until it is inside the migration, then kill its backend as a crash would.
    let pid: number | undefined;
    for (let i = 0; i < 100 && pid === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await rows<{ pid: number }>(
        url,
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'confradar-migrate' AND query LIKE '%pg_sleep(30)%'",
      );
      pid = r[0]?.pid;
    }
    expect(pid).toBeDefined();
    await rows(url, "SELECT pg_terminate_backend($1)", [pid]);
    expect(await run).toBeInstanceOf(Error);
    // The next run gets the lock at once and finds the schema unchanged.
    const started = Date.now();
    expect((await runMigrations({ databaseUrl: url, lockWaitTimeoutMs: 2_000 })).ran).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await rows<{ n: number }>(url, "SELECT count(*)::int AS n FROM migration_ledger.pgmigrations"))[0]!.n).toBe(
      all.length,
    );
  });
});
