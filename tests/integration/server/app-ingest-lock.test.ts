// Server only: on PGlite every connection shares one backend, where advisory locks are
// re-entrant, so another session cannot hold the ingest lock against us there (the in-process
// guard covers PGlite: see tests/integration/worker-ingest.test.ts).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INGEST_LOCK, IngestAlreadyRunningError, runIngest } from "../../../app/src/worker/ingest.js";
import { FIXTURE_DATASET, openTestDatabase, silentLogger, type TestDatabase } from "../app-harness.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

const ingest = () => runIngest({ db: t.db, logger: silentLogger, datasetPath: FIXTURE_DATASET, trigger: "manual" });

describe("the ingest lock on a PostgreSQL server", () => {
  it("refuses a run while another session holds the lock, without recording a run, and runs once it is released", async () => {
    expect(t.db.kind).toBe("postgres");
    const holder = new pg.Client({ connectionString: t.db.connectionString });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1, $2)", [...INGEST_LOCK]);
      await expect(ingest()).rejects.toBeInstanceOf(IngestAlreadyRunningError);
      expect((await t.db.query("SELECT count(*)::int AS n FROM ingest_runs")).rows[0]!.n).toBe(0);
      await holder.query("SELECT pg_advisory_unlock($1, $2)", [...INGEST_LOCK]);
      expect((await ingest()).status).toBe("succeeded");
    } finally {
      await holder.end();
    }
  });

  it("releases the lock when the run ends, even when it failed", async () => {
    expect(
      (await runIngest({ db: t.db, logger: silentLogger, datasetPath: "/nonexistent.json", trigger: "manual" })).status,
    ).toBe("failed");
    const probe = new pg.Client({ connectionString: t.db.connectionString });
    await probe.connect();
    try {
      const { rows } = await probe.query("SELECT pg_try_advisory_lock($1, $2) AS got", [...INGEST_LOCK]);
      expect(rows[0].got).toBe(true);
      await probe.query("SELECT pg_advisory_unlock($1, $2)", [...INGEST_LOCK]);
    } finally {
      await probe.end();
    }
  });

  it("a statement that runs past PG_STATEMENT_TIMEOUT_MS is cancelled by the server", async () => {
    const { openDatabase } = await import("../../../app/src/db.js");
    const db = await openDatabase({
      databaseUrl: t.db.connectionString,
      pool: { max: 1, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 200 },
      startupTimeoutMs: 5000,
      logger: silentLogger,
    });
    try {
      await expect(db.query("SELECT pg_sleep(2)")).rejects.toMatchObject({ code: "57014" });
    } finally {
      await db.close();
    }
  });
});
