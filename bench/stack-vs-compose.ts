/**
 * The ci stack against its anchors, side by side in one run (part of issue 16):
 *   - `npm run up -- --stack ci` cold (images present, empty state) until everything is healthy and
 *     migrated, a no-op `up` (0 changes), `npm run destroy`; on the offline plugins, and on the
 *     official ones too when OFFICIAL_PULUMI_HOME names a home that has them;
 *   - Docker Compose v2 on bench/compose.yml, the same stack in Compose (same images, health checks,
 *     a one-shot migration gated with service_completed_successfully, the app gated on it):
 *     `up -d --wait` cold, again with nothing changed, `down -v`. Compose is built from its Go
 *     module by bench/install-compose when missing (outside the repository);
 *   - the floor: `docker run` of the same PostgreSQL image until its first successful query over TCP.
 * Runs alternate between them; the median of N runs is printed with the ratios the issue sets goals
 * for (cold up <= 1.25x Compose and <= 2.5x the floor; no-op up <= 5 s with 0 changes).
 *
 *   flock /tmp/confradar-heavy.lock npm run bench:stack-vs-compose [-- --runs N] [--baseline DIR]
 *
 * --baseline DIR adds the ci stack of another checkout (e.g. `git worktree add --detach DIR main`,
 * with node_modules linked), on the offline plugins, to the same loop: before and after side by side.
 *
 * Everything of Compose's and the floor's has its own names and ports (confradar-bench-*, 56532,
 * 56180, 56533), apart from the ci/dev stacks'.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { readLocalImages } from "../scripts/stack/images.js";
import { repoRoot } from "../scripts/stack/stack.js";
import { failures, npmRun, pluginSets, printMedians, withThrowawayStack } from "./stack-runs.js";
import { median, parseRuns } from "./stats.js";

const COMPOSE_FILE = path.join(repoRoot, "bench", "compose.yml");
const COMPOSE_PROJECT = "confradar-bench";
const BENCH_APP_IMAGE = "confradar-bench-app:latest";
const FLOOR_CONTAINER = "confradar-bench-floor";
const FLOOR_PORT = 56533;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(cmd, args, { cwd: repoRoot, env, encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${result.status}):\n${(result.stdout + result.stderr).slice(-3000)}`);
  return result.stdout;
}

function seconds(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

async function secondsAsync(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** The compose binary (bench/install-compose builds it from the Go module when missing). */
function composeBinary(): string {
  const out = execFileSync("bash", [path.join(repoRoot, "bench", "install-compose")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop()!;
}

const images = readLocalImages(repoRoot);
const password = () => randomBytes(16).toString("hex");
const composeEnv: NodeJS.ProcessEnv = {
  ...process.env,
  BENCH_POSTGRES_IMAGE: images.postgres,
  BENCH_APP_IMAGE,
  BENCH_SUPERUSER_PASSWORD: password(),
  BENCH_MIGRATOR_PASSWORD: password(),
  BENCH_APP_PASSWORD: password(),
  BENCH_READONLY_PASSWORD: password(),
};

/** The floor: a container of the same PostgreSQL image, from `docker run` to its first answered query. */
async function floorRun(): Promise<number> {
  const superuserPassword = password();
  try {
    return await secondsAsync(async () => {
      run("docker", [
        "run",
        "-d",
        "--rm",
        "--name",
        FLOOR_CONTAINER,
        "-e",
        `POSTGRES_PASSWORD=${superuserPassword}`,
        "-p",
        `127.0.0.1:${FLOOR_PORT}:5432`,
        images.postgres,
      ]);
      const url = `postgres://postgres:${superuserPassword}@127.0.0.1:${FLOOR_PORT}/postgres`;
      for (const deadline = Date.now() + 60_000; ;) {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
        client.on("error", () => undefined);
        try {
          await client.connect();
          await client.query("SELECT 1");
          await client.end();
          return;
        } catch (error) {
          await client.end().catch(() => undefined);
          if (Date.now() > deadline) throw new Error(`the floor's PostgreSQL never answered: ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
  } finally {
    spawnSync("docker", ["rm", "-f", "-v", FLOOR_CONTAINER], { stdio: "ignore" });
  }
}

const runs = parseRuns(process.argv.slice(2), 5);
const baselineAt = process.argv.indexOf("--baseline");
const baseline = baselineAt >= 0 ? path.resolve(process.argv[baselineAt + 1] ?? "") : undefined;
if (baseline !== undefined && !existsSync(path.join(baseline, "Pulumi.yaml")))
  throw new Error(`--baseline ${baseline} is not a checkout of this project (no Pulumi.yaml)`);
const baselineLabel = baseline
  ? `baseline ${execFileSync("git", ["-C", baseline, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim()}, offline plugins`
  : "";
const sets = pluginSets();
const compose = composeBinary();
const composeArgs = ["-p", COMPOSE_PROJECT, "-f", COMPOSE_FILE];
console.log(`${run(compose, ["version"]).trim()}, ${compose}`);
// The app image Compose runs: app/Dockerfile on the local Node image, built once before the runs
// (the stack builds the same Dockerfile from its layer cache on every cold up).
console.error(`building ${BENCH_APP_IMAGE} (layer cache)...`);
run("docker", ["build", "-q", "-f", "app/Dockerfile", "--build-arg", `NODE_IMAGE=${images.node}`, "-t", BENCH_APP_IMAGE, "."], {
  ...process.env,
  DOCKER_BUILDKIT: "0",
});

type Figure = "cold up" | "no-op up" | "destroy / down" | "first query";
const columns: Record<string, Record<Figure, number[]>> = {};
const column = (name: string) => (columns[name] ??= { "cold up": [], "no-op up": [], "destroy / down": [], "first query": [] });
spawnSync(compose, [...composeArgs, "down", "-v"], { env: composeEnv, stdio: "ignore" });

for (let i = 1; i <= runs; i++) {
  for (const set of sets) {
    const c = column(`ci stack, ${set} plugins`);
    await withThrowawayStack(set, (env) => {
      try {
        c["cold up"].push(npmRun(["up", "--", "--stack", "ci"], env, set));
        c["no-op up"].push(npmRun(["up", "--", "--stack", "ci", "--expect-no-changes"], env, set));
      } finally {
        c["destroy / down"].push(npmRun(["destroy", "--", "--stack", "ci"], env, set));
      }
    });
  }
  if (baseline) {
    const b = column(baselineLabel);
    await withThrowawayStack(
      "offline",
      (env) => {
        try {
          b["cold up"].push(npmRun(["up", "--", "--stack", "ci"], env, "baseline", baseline));
          b["no-op up"].push(npmRun(["up", "--", "--stack", "ci", "--expect-no-changes"], env, "baseline", baseline));
        } finally {
          b["destroy / down"].push(npmRun(["destroy", "--", "--stack", "ci"], env, "baseline", baseline));
        }
      },
      baseline,
    );
  }
  const k = column("Compose v5.6.0");
  try {
    k["cold up"].push(seconds(() => run(compose, [...composeArgs, "up", "-d", "--wait"], composeEnv)));
    k["no-op up"].push(seconds(() => run(compose, [...composeArgs, "up", "-d", "--wait"], composeEnv)));
  } finally {
    k["destroy / down"].push(seconds(() => run(compose, [...composeArgs, "down", "-v"], composeEnv)));
  }
  column("floor: docker run")["first query"].push(await floorRun());
  console.log(
    `run ${i}/${runs}: ${Object.entries(columns)
      .map(
        ([name, f]) =>
          `${name}: ${Object.entries(f)
            .filter(([, v]) => v.length === i)
            .map(([k2, v]) => `${k2} ${v.at(-1)!.toFixed(1)} s`)
            .join(", ")}`,
      )
      .join("; ")}`,
  );
}

printMedians(`median of ${runs} (${new Date().toISOString()}; wall time of each command as a user types it)`, columns, [
  "cold up",
  "no-op up",
  "destroy / down",
  "first query",
]);
const composeCold = median(columns["Compose v5.6.0"]!["cold up"]);
const floor = median(columns["floor: docker run"]!["first query"]);
const stacks = [...sets.map((s) => `ci stack, ${s} plugins`), ...(baseline ? [baselineLabel] : [])];
console.log("\n| ratio | " + stacks.join(" | ") + " |");
console.log("| --- | " + stacks.map(() => "---").join(" | ") + " |");
const ratio = (f: (c: Record<Figure, number[]>) => string) => stacks.map((s) => f(columns[s]!)).join(" | ");
console.log(`| cold up / Compose cold up (goal <= 1.25) | ${ratio((c) => (median(c["cold up"]) / composeCold).toFixed(2))} |`);
console.log(`| cold up / floor (goal <= 2.5) | ${ratio((c) => (median(c["cold up"]) / floor).toFixed(2))} |`);
console.log(`| no-op up (goal <= 5 s, 0 changes) | ${ratio((c) => `${median(c["no-op up"]).toFixed(1)} s`)} |`);
console.log(failures.length ? `\nfailed and run again (time included above):\n  ${failures.join("\n  ")}` : "\nno run failed.");
