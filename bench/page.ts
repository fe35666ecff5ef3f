/**
 * The page against the app's cheapest one-query JSON route, measured in the same run (part of issue
 * 16): `GET /` and `GET /api/topics` (one query, a few rows), each under the same bounded load
 * (autocannon: 50 connections for D seconds, loopback only, a browser's Accept-Encoding), on a
 * PostgreSQL server (TEST_DATABASE_URL, a freshly migrated database) and on the embedded PGlite
 * store, both holding one ingest of data/conferences.json. The app runs as `npm run app` does, in a
 * process of its own on 127.0.0.1. Runs alternate between the routes; the median of N is printed
 * with the ratio and p99 the issue sets goals for (page >= 25 % of the route's requests/s, p99 <= 250
 * ms, on PostgreSQL). The page is measured as served (its 1 s cache, app/src/web/pageCache.ts) and
 * again from an api with PAGE_CACHE_MS=0, every request rendered, so the cost of a render shows too.
 *
 *   npm run bench:page [-- --runs N] [-- --duration SECONDS]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { runMigrations } from "../app/src/migrate/index.js";
import { repoRoot } from "../scripts/stack/stack.js";
import { quoteIdent, withAdmin } from "../tests/helpers/server-clones.js";
import { median, parseRuns } from "./stats.js";

const ROUTES = { page: "/", pageUncached: "/", json: "/api/topics" } as const;
type Route = keyof typeof ROUTES;
/** The page as served (PAGE_CACHE_MS default, 1 s) and with its cache off (an api started with 0). */
const ROUTE_LABEL: Record<Route, string> = {
  page: "GET / (page cache 1 s, the default)",
  pageUncached: "GET / (PAGE_CACHE_MS=0: every request rendered)",
  json: `GET ${ROUTES.json}`,
};
const CONNECTIONS = 50;
const BROWSER_ACCEPT_ENCODING = "gzip, deflate, br";

function durationSeconds(argv: string[]): number {
  const i = argv.indexOf("--duration");
  if (i < 0) return 10;
  const value = Number(argv[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 120)
    throw new Error(`--duration must be 1-120 seconds, got ${argv[i + 1]}`);
  return value;
}

function runApp(role: "api" | "ingest", env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "app/src/main.ts", role], {
    cwd: repoRoot,
    env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function ingest(env: NodeJS.ProcessEnv): Promise<void> {
  const child = runApp("ingest", env);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`ingest failed (exit ${code}):\n${output.slice(-3000)}`);
}

/** Starts the api as `npm run app` does; resolves with its base URL once it listens. */
async function startApi(env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "app/src/main.ts", "api"], {
    cwd: repoRoot,
    env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      output += c.toString();
      const found = /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/.exec(output)?.[1];
      if (found) resolve(found);
    });
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    child.on("close", (code) => reject(new Error(`the api stopped (exit ${code}) before listening:\n${output.slice(-3000)}`)));
  });
  // Its log (LOG_LEVEL=info, as `npm run app`) is drained and dropped from here on.
  child.stdout!.removeAllListeners("data");
  child.stdout!.resume();
  return {
    url,
    async stop() {
      const closed = new Promise((resolve) => child.on("close", resolve));
      child.kill("SIGTERM");
      await closed;
    },
  };
}

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
  non2xx: number;
}

async function load(base: string, route: Route, seconds: number): Promise<Load> {
  const url = new URL(ROUTES[route], base);
  if (url.hostname !== "127.0.0.1") throw new Error(`load goes to loopback only, not ${url.hostname}`);
  const result = await autocannon({
    timeout: 30,
    url: url.toString(),
    connections: CONNECTIONS,
    duration: seconds,
    headers: { "accept-encoding": BROWSER_ACCEPT_ENCODING },
  });
  // The app may still be working through requests accepted before the load stopped (on PGlite,
  // seconds of them): the next load starts once a lone request comes back.
  await fetch(new URL(ROUTES.json, base), { signal: AbortSignal.timeout(120_000) }).then((r) => r.arrayBuffer());
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerResponse: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
}

async function measureStore(label: string, env: NodeJS.ProcessEnv, runs: number, seconds: number) {
  await ingest(env);
  const samples: Record<Route, Load[]> = { page: [], pageUncached: [], json: [] };
  // One api process at a time (an embedded store takes one process): first as served, the page
  // and the JSON route alternating; then with the page cache off.
  const phases: { env: NodeJS.ProcessEnv; routes: Route[] }[] = [
    { env, routes: ["page", "json"] },
    { env: { ...env, PAGE_CACHE_MS: "0" }, routes: ["pageUncached"] },
  ];
  for (const phase of phases) {
    const api = await startApi(phase.env);
    try {
      // One short warm-up per route, not counted: JIT, pools, caches.
      for (const route of phase.routes) await load(api.url, route, 2);
      for (let i = 1; i <= runs; i++) {
        for (const route of phase.routes) samples[route].push(await load(api.url, route, seconds));
        process.stderr.write(`${label}, ${phase.routes.join(" and ")}: run ${i}/${runs}\n`);
      }
    } finally {
      await api.stop();
    }
  }
  return { label, samples };
}

const argv = process.argv.slice(2);
const runs = parseRuns(argv, 5);
const seconds = durationSeconds(argv);
const results: Awaited<ReturnType<typeof measureStore>>[] = [];

const admin = process.env.TEST_DATABASE_URL;
if (admin) {
  const name = `confradar_bench_page_${process.pid}`;
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await withAdmin(admin, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  try {
    await runMigrations({ databaseUrl: url.toString() });
    results.push(await measureStore("PostgreSQL server", { DATABASE_URL: url.toString() }, runs, seconds));
  } finally {
    await withAdmin(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  }
} else
  console.log(
    "TEST_DATABASE_URL not set: no PostgreSQL figure, the one the goal is set on (scripts/ci/start-postgres prints one)",
  );

const scratch = mkdtempSync(path.join(os.tmpdir(), "confradar-bench-page-"));
try {
  results.push(await measureStore("PGlite", { DATABASE_URL: `pglite://${path.join(scratch, "store")}` }, runs, seconds));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(
  `\nGET / (as served, and with its cache off) and GET ${ROUTES.json}, ${CONNECTIONS} connections x ${seconds} s, median of ${runs} (${new Date().toISOString()}):`,
);
console.log("| store | route | requests/s | p50 | p99 | bytes/response | errors | page / route |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const { label, samples } of results) {
  const m = (route: Route, f: (l: Load) => number) => median(samples[route].map(f));
  for (const route of Object.keys(ROUTES) as Route[]) {
    const ratio =
      route === "json"
        ? ""
        : `${((100 * m(route, (l) => l.requestsPerSecond)) / m("json", (l) => l.requestsPerSecond)).toFixed(1)} %`;
    console.log(
      `| ${label} | ${ROUTE_LABEL[route]} | ${m(route, (l) => l.requestsPerSecond).toFixed(1)} | ${m(route, (l) => l.p50).toFixed(0)} ms | ${m(route, (l) => l.p99).toFixed(0)} ms | ${m(route, (l) => l.bytesPerResponse).toFixed(0)} | ${samples[route].reduce((n, l) => n + l.non2xx, 0)} | ${ratio} |`,
    );
  }
}
console.log("goals on PostgreSQL: page / route >= 25 %, page p99 <= 250 ms (the page as served)");
