/**
 * How long one integration test file waits for its own migrated database:
 *   (a) a clone of a migrated template (what tests/helpers/database.ts does), versus
 *   (b) a new database migrated from scratch.
 * On PGlite always, and on the real server when TEST_DATABASE_URL is set. Runs alternate (a, b) in
 * one loop; the median of N runs is printed.  npm run bench:test-db [-- --runs N]
 */
import "../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runMigrations } from "../app/src/migrate/index.js";
import { dumpPgliteToFile, readPgliteDump, servePglite } from "../app/src/store/index.js";
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

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

interface Row {
  store: string;
  clone: number[];
  scratch: number[];
  setup: number;
}

async function benchPglite(runs: number): Promise<Row> {
  const dumpFile = join(tmpdir(), `confradar-bench-${process.pid}.tar`);
  const setup = await timed(async () => {
    const template = await servePglite({ dataDir: null });
    await runMigrations({ databaseUrl: template.connectionString });
    await dumpPgliteToFile(template.db, dumpFile);
    await template.close();
  });
  const dump = await readPgliteDump(dumpFile);
  const row: Row = { store: "PGlite (in memory)", clone: [], scratch: [], setup };
  for (let i = 0; i < runs; i++) {
    row.clone.push(
      await timed(async () => {
        const db = await servePglite({ dataDir: null, loadDataDir: dump });
        await query(db.connectionString, "SELECT count(*) FROM migration_ledger.pgmigrations");
        await db.close();
      }),
    );
    row.scratch.push(
      await timed(async () => {
        const db = await servePglite({ dataDir: null });
        await runMigrations({ databaseUrl: db.connectionString });
        await query(db.connectionString, "SELECT count(*) FROM migration_ledger.pgmigrations");
        await db.close();
      }),
    );
    process.stderr.write(`pglite run ${i + 1}/${runs}\n`);
  }
  await rm(dumpFile, { force: true });
  return row;
}

async function benchServer(admin: string, runs: number): Promise<Row> {
  const tag = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const template = `confradar_bench_tpl_${tag}`;
  const row: Row = { store: "PostgreSQL server", clone: [], scratch: [], setup: 0 };
  const created: string[] = [];
  try {
    row.setup = await timed(async () => {
      await query(admin, `CREATE DATABASE ${ident(template)}`);
      created.push(template);
      await runMigrations({ databaseUrl: withDatabase(admin, template) });
    });
    for (let i = 0; i < runs; i++) {
      const a = `confradar_bench_a_${tag}_${i}`;
      const b = `confradar_bench_b_${tag}_${i}`;
      row.clone.push(
        await timed(async () => {
          await query(admin, `CREATE DATABASE ${ident(a)} TEMPLATE ${ident(template)}`);
          created.push(a);
          await query(withDatabase(admin, a), "SELECT count(*) FROM migration_ledger.pgmigrations");
        }),
      );
      row.scratch.push(
        await timed(async () => {
          await query(admin, `CREATE DATABASE ${ident(b)}`);
          created.push(b);
          await runMigrations({ databaseUrl: withDatabase(admin, b) });
          await query(withDatabase(admin, b), "SELECT count(*) FROM migration_ledger.pgmigrations");
        }),
      );
      process.stderr.write(`server run ${i + 1}/${runs}\n`);
    }
  } finally {
    for (const name of created.reverse()) await query(admin, `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  }
  return row;
}

const runs = parseRuns(process.argv.slice(2), 5);
const results: Row[] = [];
if (process.env.TEST_DATABASE_URL) results.push(await benchServer(process.env.TEST_DATABASE_URL, runs));
else process.stderr.write("TEST_DATABASE_URL not set: measuring PGlite only\n");
results.push(await benchPglite(runs));

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const header = ["store", "(a) template clone", "(b) migrate from scratch", "b / a", "template build (once)"];
const lines = results.map((r) => {
  const a = median(r.clone);
  const b = median(r.scratch);
  return [r.store, fmt(a), fmt(b), `${(b / a).toFixed(1)}x`, fmt(r.setup)];
});
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
