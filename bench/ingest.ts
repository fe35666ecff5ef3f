/**
 * The first `npm run ingest` on a fresh embedded store (part of issue 16): wall time, time to the
 * first log line and peak RSS of the ingest process, side by side in one run with
 *   - a fresh store when no PGlite seed exists yet (the first store on a machine: initdb runs; the
 *     seed, app/src/store/pglite.ts, is kept in a throwaway folder and removed after each run),
 *   - a fresh store copied from the seed (every later new store),
 *   - the same ingest on a PostgreSQL server, into a freshly migrated database (TEST_DATABASE_URL).
 * Each run is `node --import tsx app/src/main.ts ingest`, what `npm run ingest` runs, without npm.
 * Runs alternate; the median of N runs is printed.   npm run bench:ingest [-- --runs N] [--baseline DIR]
 * --baseline DIR adds a fresh store with another checkout's code (e.g. `git worktree add --detach DIR
 * main` with node_modules linked): before and after side by side.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runMigrations } from "../app/src/migrate/index.js";
import { repoRoot } from "../scripts/stack/stack.js";
import { quoteIdent, withAdmin } from "../tests/helpers/server-clones.js";
import { median, parseRuns } from "./stats.js";

interface Sample {
  seconds: number;
  firstLine: number;
  peakRss: number;
}

async function ingest(env: NodeJS.ProcessEnv, cwd: string = repoRoot): Promise<Sample> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "confradar-bench-ingest-"));
  const rssFile = path.join(dir, "peak-rss");
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", path.join(repoRoot, "bench", "report-peak-rss.ts"), "app/src/main.ts", "ingest"],
    {
      cwd,
      env: { ...process.env, ...env, BENCH_PEAK_RSS_FILE: rssFile, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let firstLine: number | undefined;
  let output = "";
  const onData = (chunk: Buffer) => {
    firstLine ??= (performance.now() - started) / 1000;
    output += chunk.toString();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  const seconds = (performance.now() - started) / 1000;
  try {
    if (code !== 0) throw new Error(`ingest exited ${code}:\n${output.slice(-3000)}`);
    if (!/"inserted":\d+/.test(output)) throw new Error(`ingest printed no result:\n${output.slice(-3000)}`);
    return { seconds, firstLine: firstLine ?? seconds, peakRss: Number(readFileSync(rssFile, "utf8")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh store folder (and, for the cold case, a fresh seed folder) for one run, removed after. */
async function pgliteRun(withSeedFrom: string | null, cwd?: string): Promise<Sample> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "confradar-bench-store-"));
  try {
    return await ingest(
      {
        DATABASE_URL: `pglite://${path.join(scratch, "store")}`,
        CONFRADAR_PGLITE_SEED_DIR: withSeedFrom ?? path.join(scratch, "seeds"),
      },
      cwd,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function serverRun(admin: string): Promise<Sample> {
  const name = `confradar_bench_ingest_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await withAdmin(admin, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  try {
    await runMigrations({ databaseUrl: url.toString() });
    return await ingest({ DATABASE_URL: url.toString() });
  } finally {
    await withAdmin(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  }
}

const runs = parseRuns(process.argv.slice(2), 5);
// One seed for the "seeded" runs, made by a first store that is not measured.
const seedParent = mkdtempSync(path.join(os.tmpdir(), "confradar-bench-seed-"));
const ways: { label: string; run: () => Promise<Sample>; samples: Sample[] }[] = [
  { label: "PGlite, fresh store, no seed yet (initdb)", run: () => pgliteRun(null), samples: [] },
  { label: "PGlite, fresh store from the seed", run: () => pgliteRun(seedParent), samples: [] },
];
const baselineAt = process.argv.indexOf("--baseline");
if (baselineAt >= 0) {
  const dir = path.resolve(process.argv[baselineAt + 1] ?? "");
  ways.unshift({
    label: `PGlite, fresh store, baseline checkout ${path.basename(dir)}`,
    run: () => pgliteRun(null, dir),
    samples: [],
  });
}
const admin = process.env.TEST_DATABASE_URL;
if (admin) ways.push({ label: "PostgreSQL server, migrated database", run: () => serverRun(admin), samples: [] });
else console.log("TEST_DATABASE_URL not set: no server figure (scripts/ci/start-postgres prints one)");
try {
  await pgliteRun(seedParent);
  for (let i = 1; i <= runs; i++) {
    for (const way of ways) way.samples.push(await way.run());
    process.stderr.write(`run ${i}/${runs}\n`);
  }
} finally {
  rmSync(seedParent, { recursive: true, force: true });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
console.log(`\nnpm run ingest of data/conferences.json, median of ${runs} (${new Date().toISOString()}):`);
console.log("| store | wall time | first log line | peak RSS |");
console.log("| --- | --- | --- | --- |");
for (const way of ways) {
  const m = (f: (s: Sample) => number) => median(way.samples.map(f));
  console.log(
    `| ${way.label} | ${m((s) => s.seconds).toFixed(1)} s | ${m((s) => s.firstLine).toFixed(1)} s | ${mb(m((s) => s.peakRss))} |`,
  );
}
