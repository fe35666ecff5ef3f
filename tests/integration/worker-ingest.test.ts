import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IngestAlreadyRunningError, runIngest } from "../../app/src/worker/ingest.js";
import { countAll, FIXTURE_DATASET, openTestDatabase, silentLogger, type TestDatabase } from "./app-harness.js";

let t: TestDatabase;
let tmp: string;

beforeAll(async () => {
  t = await openTestDatabase();
  tmp = await mkdtemp(path.join(os.tmpdir(), "confradar-ingest-"));
});
afterAll(async () => {
  await t?.close();
});

async function reset() {
  await t.db.query("TRUNCATE conferences, deadlines, topics, conference_topics, sources, ingest_runs RESTART IDENTITY CASCADE");
}

const ingest = (datasetPath = FIXTURE_DATASET, trigger: "manual" | "schedule" = "manual") =>
  runIngest({ db: t.db, logger: silentLogger, datasetPath, trigger });

async function writeDataset(name: string, mutate: (json: any) => void): Promise<string> {
  const json = JSON.parse(await readFile(FIXTURE_DATASET, "utf8"));
  mutate(json);
  const file = path.join(tmp, name);
  await writeFile(file, JSON.stringify(json));
  return file;
}

// Fixture: 3 topics, 2 sources (one shared), 3 conferences, 3 deadlines, 3 topic links = 14 rows.
const FIXTURE_ROWS = 14;

describe("ingest", () => {
  beforeEach(reset);

  it("imports everything, then a second run changes nothing and says so", async () => {
    const first = await ingest();
    expect(first).toMatchObject({ status: "succeeded", inserted: FIXTURE_ROWS, updated: 0, unchanged: 0 });
    expect(first.byTable).toEqual({
      topics: { inserted: 3, updated: 0, unchanged: 0 },
      sources: { inserted: 2, updated: 0, unchanged: 0 },
      conferences: { inserted: 3, updated: 0, unchanged: 0 },
      deadlines: { inserted: 3, updated: 0, unchanged: 0 },
      conference_topics: { inserted: 3, updated: 0, unchanged: 0 },
    });
    const countsAfterFirst = await countAll(t.db);
    const stamps = await t.db.query("SELECT id, updated_at FROM conferences ORDER BY id");

    const second = await ingest();
    expect(second).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: FIXTURE_ROWS });
    const countsAfterSecond = await countAll(t.db);
    expect({ ...countsAfterSecond, ingest_runs: 0 }).toEqual({ ...countsAfterFirst, ingest_runs: 0 });
    // Unchanged rows are not rewritten: updated_at stays.
    expect((await t.db.query("SELECT id, updated_at FROM conferences ORDER BY id")).rows).toEqual(stamps.rows);

    const runs = await t.db.query(
      "SELECT status, trigger, dataset_name, dataset_version, rows_inserted, rows_updated, rows_unchanged, error, finished_at IS NOT NULL AS finished FROM ingest_runs ORDER BY id",
    );
    expect(runs.rows).toEqual([
      {
        status: "succeeded",
        trigger: "manual",
        dataset_name: "app-test-fixture",
        dataset_version: "1.0.0",
        rows_inserted: FIXTURE_ROWS,
        rows_updated: 0,
        rows_unchanged: 0,
        error: null,
        finished: true,
      },
      {
        status: "succeeded",
        trigger: "manual",
        dataset_name: "app-test-fixture",
        dataset_version: "1.0.0",
        rows_inserted: 0,
        rows_updated: 0,
        rows_unchanged: FIXTURE_ROWS,
        error: null,
        finished: true,
      },
    ]);
  });

  it("stores the values of the dataset", async () => {
    await ingest();
    const { rows } = await t.db.query(
      `SELECT c.acronym, c.edition_year, c.format, c.start_date, c.dates_estimated, s.url, s.dataset_version,
              d.kind, d.due_at, d.timezone_label, d.estimated, d.note
       FROM conferences c JOIN sources s ON s.id = c.source_id JOIN deadlines d ON d.conference_id = c.id
       WHERE c.acronym = 'FUTR' ORDER BY d.due_at`,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        acronym: "FUTR",
        edition_year: 2099,
        format: "hybrid",
        start_date: "2099-06-01",
        kind: "abstract",
        due_at: new Date("2099-01-11T11:59:59Z"),
        timezone_label: "AoE",
        estimated: false,
        note: null,
      }),
      expect.objectContaining({
        kind: "paper",
        estimated: true,
        note: "projected from last year",
        url: "https://futr.example.org/2099/cfp",
        dataset_version: "1.0.0",
      }),
    ]);
  });

  it("counts a changed value as updated and bumps only that row", async () => {
    await ingest();
    const before = await t.db.query<{ acronym: string; updated_at: Date }>(
      "SELECT acronym, updated_at FROM conferences ORDER BY acronym",
    );
    const changed = await writeDataset("changed.json", (j) => {
      j.conferences[0].city = "Porto";
      j.conferences[0].deadlines[1].due_at = "2099-01-18T23:59:59-12:00";
      j.conferences[1].deadlines.push({
        kind: "notification",
        due_at: "2001-04-01T00:00:00Z",
        timezone: "UTC",
        estimated: false,
        note: null,
      });
    });
    const third = await ingest(changed);
    expect(third).toMatchObject({ status: "succeeded", inserted: 1, updated: 2, unchanged: FIXTURE_ROWS - 2 });
    expect(third.byTable.conferences).toEqual({ inserted: 0, updated: 1, unchanged: 2 });
    expect(third.byTable.deadlines).toEqual({ inserted: 1, updated: 1, unchanged: 2 });
    const after = await t.db.query<{ acronym: string; updated_at: Date }>(
      "SELECT acronym, updated_at FROM conferences ORDER BY acronym",
    );
    const bumped = after.rows
      .filter((r, i) => r.updated_at.getTime() !== before.rows[i]!.updated_at.getTime())
      .map((r) => r.acronym);
    expect(bumped).toEqual(["FUTR"]);
  });

  it("moves a source to a new dataset version once, then reports it unchanged", async () => {
    await ingest();
    const v2 = await writeDataset("v2.json", (j) => (j.dataset.version = "1.1.0"));
    expect((await ingest(v2)).byTable.sources).toEqual({ inserted: 0, updated: 2, unchanged: 0 });
    expect((await ingest(v2)).byTable.sources).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
  });
});

describe("a broken dataset", () => {
  beforeEach(reset);

  it.each<[string, (dir: string) => Promise<string>, RegExp]>([
    [
      "invalid JSON",
      async (dir) => {
        const f = path.join(dir, "bad.json");
        await writeFile(f, '{"dataset": ');
        return f;
      },
      /is not valid JSON/,
    ],
    [
      "a schema violation",
      () => writeDataset("schema.json", (j) => (j.conferences[2].deadlines = [{ kind: "paper", due_at: "soon" }])),
      /conferences\[2\]\.deadlines\[0\]\.due_at \(SHRD 2099\): must be an ISO 8601 date-time/,
    ],
    ["a missing file", async (dir) => path.join(dir, "nope.json"), /cannot read the dataset .*nope\.json.*DATASET_PATH/],
  ])("%s gives a failed run with the error and no rows", async (_what, make, expected) => {
    const file = await make(tmp);
    const result = await ingest(file);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(expected);
    const counts = await countAll(t.db);
    expect(counts).toEqual({ conferences: 0, deadlines: 0, topics: 0, conference_topics: 0, sources: 0, ingest_runs: 1 });
    const { rows } = await t.db.query(
      "SELECT status, error, finished_at IS NOT NULL AS finished, rows_inserted FROM ingest_runs",
    );
    expect(rows[0]).toMatchObject({ status: "failed", finished: true, rows_inserted: 0 });
    expect(rows[0]!.error).toMatch(expected);
  });

  it("a failure inside the import rolls back every row of the run", async () => {
    const result = await runIngest({
      db: t.db,
      logger: silentLogger,
      datasetPath: FIXTURE_DATASET,
      trigger: "schedule",
      beforeCommit: async (client) => {
        // The rows are there inside the transaction...
        const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM conferences");
        expect(rows[0]!.n).toBe(3);
        throw new Error("disk full (simulated)");
      },
    });
    expect(result).toMatchObject({ status: "failed", error: "disk full (simulated)", inserted: 0 });
    // ...and gone after: only the run record, outside the transaction, remains.
    expect(await countAll(t.db)).toEqual({
      conferences: 0,
      deadlines: 0,
      topics: 0,
      conference_topics: 0,
      sources: 0,
      ingest_runs: 1,
    });
    expect((await t.db.query("SELECT trigger, status FROM ingest_runs")).rows).toEqual([
      { trigger: "schedule", status: "failed" },
    ]);
  });

  it("keeps rows of an earlier good run when a later run fails", async () => {
    await ingest();
    const before = await countAll(t.db);
    const broken = await writeDataset("broken2.json", (j) => (j.conferences[0].year = "next"));
    expect((await ingest(broken)).status).toBe("failed");
    expect({ ...(await countAll(t.db)), ingest_runs: 0 }).toEqual({ ...before, ingest_runs: 0 });
  });
});

describe("concurrency guard", () => {
  beforeEach(reset);

  it("lets only one of two concurrent runs in this process go ahead", async () => {
    const results = await Promise.allSettled([ingest(), ingest()]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(IngestAlreadyRunningError);
    expect(((refused[0] as PromiseRejectedResult).reason as Error).message).toMatch(/another ingest is already running/);
    expect((await t.db.query("SELECT count(*)::int AS n FROM ingest_runs")).rows[0]!.n).toBe(1);
  });

  it("refuses a run from a second pool on the same database", async () => {
    const other = await t.openAnother();
    const results = await Promise.allSettled([
      ingest(),
      runIngest({ db: other, logger: silentLogger, datasetPath: FIXTURE_DATASET, trigger: "schedule" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason)).toEqual([
      expect.any(IngestAlreadyRunningError),
    ]);
  });

  it("closes a run left 'running' by a process that died", async () => {
    await t.db.query("INSERT INTO ingest_runs (trigger) VALUES ('schedule')");
    expect((await ingest()).status).toBe("succeeded");
    const { rows } = await t.db.query("SELECT status, error FROM ingest_runs ORDER BY id");
    expect(rows).toEqual([
      { status: "failed", error: expect.stringMatching(/^interrupted/) },
      { status: "succeeded", error: null },
    ]);
  });
});
