/**
 * The ci stack's lifecycle on each provider plugin set, side by side in one run: cold `up` (images
 * present, empty state) until everything is healthy and migrated, a no-op `up`, and `destroy`,
 * through `npm run` as a user types them, in a throwaway state backend. Runs alternate between the
 * sets; the median of N runs is printed per figure.
 *
 *   npm run bench:stack-plugins [-- --runs N]
 *
 * The offline plugins always run. The official ones run too when OFFICIAL_PULUMI_HOME names a
 * Pulumi home whose plugin cache has them (on a machine with internet, any home where
 * `npm run up` installed them); otherwise the script says so and measures the offline set alone.
 */
import "../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../scripts/stack/stack.js";
import { median, parseRuns } from "./stats.js";

type PluginSet = "offline" | "official";

function hasOfficialPlugins(home: string | undefined): home is string {
  if (!home) return false;
  const plugins = path.join(home, "plugins");
  return (
    existsSync(plugins) &&
    ["docker", "postgresql", "random"].every((name) => readdirSync(plugins).some((d) => d.startsWith(`resource-${name}-v`)))
  );
}

const failures: string[] = [];

/**
 * Seconds `npm run ARGS` took. A failed run is counted and run once more (the official postgresql
 * plugin fails some cold `up`s with XX000 "tuple concurrently updated"), the time of both counted.
 */
function npmRun(args: string[], env: NodeJS.ProcessEnv, set: PluginSet): number {
  const start = performance.now();
  for (let attempt = 1; ; attempt++) {
    const result = spawnSync("npm", ["run", "-s", ...args], { cwd: repoRoot, env, encoding: "utf8" });
    if (result.status === 0) return (performance.now() - start) / 1000;
    const output = result.stdout + result.stderr;
    const reason = /error: (.*)/.exec(output.split("\n").find((line) => /error: .*(XX000|failed|refused)/.test(line)) ?? "")?.[1];
    failures.push(`${set}: npm run ${args.join(" ")} failed${reason ? ` (${reason.trim().slice(0, 160)})` : ""}`);
    if (attempt === 2) throw new Error(`npm run ${args.join(" ")} failed twice:\n${output.slice(-4000)}`);
  }
}

const runs = parseRuns(process.argv.slice(2), 3);
const officialHome = process.env.OFFICIAL_PULUMI_HOME;
const sets: PluginSet[] = hasOfficialPlugins(officialHome) ? ["offline", "official"] : ["offline"];
if (sets.length === 1)
  console.log("OFFICIAL_PULUMI_HOME does not name a Pulumi home with the official plugins: measuring the offline set alone.");

const stackFile = path.join(repoRoot, "Pulumi.ci.yaml");
const stackFileBefore = readFileSync(stackFile, "utf8");
const figures: Record<PluginSet, Record<"cold up" | "no-op up" | "destroy", number[]>> = {
  offline: { "cold up": [], "no-op up": [], destroy: [] },
  official: { "cold up": [], "no-op up": [], destroy: [] },
};
try {
  for (let run = 1; run <= runs; run++) {
    for (const set of sets) {
      const backend = mkdtempSync(path.join(os.tmpdir(), "confradar-bench-state-"));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "confradar-bench-throwaway",
        CONFRADAR_PLUGINS: set,
        ...(set === "official" ? { PULUMI_HOME: officialHome } : {}),
      };
      try {
        figures[set]["cold up"].push(npmRun(["up", "--", "--stack", "ci"], env, set));
        figures[set]["no-op up"].push(npmRun(["up", "--", "--stack", "ci", "--expect-no-changes"], env, set));
      } finally {
        figures[set].destroy.push(npmRun(["destroy", "--", "--stack", "ci"], env, set));
        rmSync(backend, { recursive: true, force: true });
        writeFileSync(stackFile, stackFileBefore);
      }
      console.log(
        `run ${run}/${runs} ${set}: ${Object.entries(figures[set])
          .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(1)} s`)
          .join(", ")}`,
      );
    }
  }
} finally {
  writeFileSync(stackFile, stackFileBefore);
}

console.log(`\nci stack, median of ${runs} (wall time of each npm run, set-up and plugin choice included):`);
console.log(`| figure | ${sets.join(" | ")} |`);
console.log(`| --- | ${sets.map(() => "---").join(" | ")} |`);
for (const figure of ["cold up", "no-op up", "destroy"] as const)
  console.log(`| ${figure} | ${sets.map((set) => `${median(figures[set][figure]).toFixed(1)} s`).join(" | ")} |`);
console.log(failures.length ? `\nfailed and run again (time included above):\n  ${failures.join("\n  ")}` : "\nno run failed.");
