/**
 * How long one integration test file waits for its own migrated database, per way of making it:
 *   on a server (TEST_DATABASE_URL): a ready-made spare taken by rename (what tests/helpers/database.ts
 *   does), a clone of the migrated template with either strategy (FILE_COPY is the harness's fallback
 *   when no spare is left; WAL_LOG is PostgreSQL 15's default and the harness's way before), and a new
 *   database migrated from scratch;
 *   on PGlite: a new instance loaded from a dump of a migrated template, and one migrated from scratch.
 * Each figure is the file's wait: the harness's admin work, then the file's first connection and query.
 * Runs alternate between the ways in one loop; the median of N runs is printed.
 *   npm run bench:test-db [-- --runs N]
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runMigrations } from "../app/src/migrate/index.js";
import { dumpPgliteToFile, readPgliteDump, servePglite } from "../app/src/store/index.js";
import {
  claimSpare,
  cloneTemplate,
  dropSpares,
  fillSpares,
  quoteIdent,
  withAdmin,
  type CloneStrategy,
} from "../tests/helpers/server-clones.js";
import { median, parseRuns } from "./stats.js";

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

const LEDGER_QUERY = "SELECT count(*) FROM migration_ledger.pgmigrations";

interface Way {
  label: string;
  times: number[];
}

interface StoreResult {
  store: string;
  /** The way the harness uses now, first; migrating from scratch, last. */
  ways: Way[];
  setup: { label: string; ms: number }[];
}

async function benchPglite(runs: number): Promise<StoreResult> {
  const dumpFile = join(tmpdir(), `confradar-bench-${process.pid}.tar`);
  const setup = await timed(async () => {
    const template = await servePglite({ dataDir: null });
    await runMigrations({ databaseUrl: template.connectionString });
    await dumpPgliteToFile(template.db, dumpFile);
    await template.close();
  });
  const dump = await readPgliteDump(dumpFile);
  const clone: Way = { label: "clone of a template dump (harness)", times: [] };
  const scratch: Way = { label: "migrate from scratch", times: [] };
  for (let i = 0; i < runs; i++) {
    clone.times.push(
      await timed(async () => {
        const db = await servePglite({ dataDir: null, loadDataDir: dump });
        await query(db.connectionString, LEDGER_QUERY);
        await db.close();
      }),
    );
    scratch.times.push(
      await timed(async () => {
        const db = await servePglite({ dataDir: null });
        await runMigrations({ databaseUrl: db.connectionString });
        await query(db.connectionString, LEDGER_QUERY);
        await db.close();
      }),
    );
    process.stderr.write(`pglite run ${i + 1}/${runs}\n`);
  }
  await rm(dumpFile, { force: true });
  return { store: "PGlite (in memory)", ways: [clone, scratch], setup: [{ label: "template build and dump", ms: setup }] };
}

async function benchServer(admin: string, runs: number): Promise<StoreResult> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const template = `confradar_bench_tpl_${runId}`;
  const spare: Way = { label: "ready-made spare, renamed (harness)", times: [] };
  const clones: Record<CloneStrategy, Way> = {
    FILE_COPY: { label: "clone, STRATEGY FILE_COPY (harness fallback)", times: [] },
    WAL_LOG: { label: "clone, STRATEGY WAL_LOG (harness before)", times: [] },
  };
  const scratch: Way = { label: "migrate from scratch", times: [] };
  const setup: StoreResult["setup"] = [];
  const created: string[] = [];
  // What one test file does: the harness's admin work, then its own first connection and query.
  const perFile = (name: string, adminWork: (client: pg.Client) => Promise<void>, after?: (url: string) => Promise<void>) =>
    timed(async () => {
      await withAdmin(admin, adminWork);
      created.push(name);
      if (after) await after(withDatabase(admin, name));
      await query(withDatabase(admin, name), LEDGER_QUERY);
    });
  try {
    setup.push({
      label: "template build",
      ms: await timed(async () => {
        await withAdmin(admin, (c) => c.query(`CREATE DATABASE ${quoteIdent(template)}`).then(() => undefined));
        created.push(template);
        await runMigrations({ databaseUrl: withDatabase(admin, template) });
      }),
    });
    // The global setup fills these in the background while vitest starts; here, before the loop.
    const fillMs = await timed(() => fillSpares(admin, template, runId, runs).done);
    setup.push({ label: `${runs} spares (background in the harness)`, ms: fillMs });
    for (let i = 0; i < runs; i++) {
      const tag = `${runId}_${i}`;
      const spareTaken = `confradar_bench_s_${tag}`;
      spare.times.push(
        await perFile(spareTaken, async (c) => {
          if (!(await claimSpare(c, runId, spareTaken))) throw new Error("no spare left: the fill made too few");
        }),
      );
      for (const strategy of ["FILE_COPY", "WAL_LOG"] as const) {
        const name = `confradar_bench_${strategy === "FILE_COPY" ? "f" : "w"}_${tag}`;
        clones[strategy].times.push(await perFile(name, (c) => cloneTemplate(c, template, name, strategy)));
      }
      const fresh = `confradar_bench_m_${tag}`;
      scratch.times.push(
        await perFile(
          fresh,
          (c) => c.query(`CREATE DATABASE ${quoteIdent(fresh)}`).then(() => undefined),
          (url) => runMigrations({ databaseUrl: url }).then(() => undefined),
        ),
      );
      process.stderr.write(`server run ${i + 1}/${runs}\n`);
    }
  } finally {
    await withAdmin(admin, async (c) => {
      for (const name of created.reverse()) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      await dropSpares(c, runId);
    });
  }
  return { store: "PostgreSQL server", ways: [spare, clones.FILE_COPY, clones.WAL_LOG, scratch], setup };
}

const runs = parseRuns(process.argv.slice(2), 5);
const results: StoreResult[] = [];
if (process.env.TEST_DATABASE_URL) results.push(await benchServer(process.env.TEST_DATABASE_URL, runs));
else process.stderr.write("TEST_DATABASE_URL not set: measuring PGlite only\n");
results.push(await benchPglite(runs));

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const header = ["store", "way", "per test file", "migrate / this"];
const lines: string[][] = [];
for (const r of results) {
  const migrate = median(r.ways.at(-1)!.times);
  for (const way of r.ways) {
    const m = median(way.times);
    lines.push([r.store, way.label, fmt(m), `${(migrate / m).toFixed(1)}x`]);
  }
  for (const s of r.setup) lines.push([r.store, `once per run: ${s.label}`, fmt(s.ms), ""]);
}
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const print = (cells: string[]) =>
  console.log(
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
console.log(`Per test file: a fresh migrated database, median of ${runs} runs (${new Date().toISOString()})`);
print(header);
print(widths.map((w) => "-".repeat(w)));
lines.forEach(print);
