/**
 * What the stack benchmarks share: the plugin sets to measure, a throwaway state backend per run,
 * and timed `npm run` commands as a user types them (a failure is run once more, both counted).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../scripts/stack/stack.js";
import { median } from "./stats.js";

export type PluginSet = "offline" | "official";

/** True when `home` is a Pulumi home whose plugin cache holds the official docker, postgresql and random plugins. */
export function hasOfficialPlugins(home: string | undefined): home is string {
  if (!home) return false;
  const plugins = path.join(home, "plugins");
  return (
    existsSync(plugins) &&
    ["docker", "postgresql", "random"].every((name) => readdirSync(plugins).some((d) => d.startsWith(`resource-${name}-v`)))
  );
}

/**
 * The sets to measure: the offline plugins always (what CI and users here have), the official ones
 * too when OFFICIAL_PULUMI_HOME names a home that has them. Says which on stdout.
 */
export function pluginSets(): PluginSet[] {
  if (hasOfficialPlugins(process.env.OFFICIAL_PULUMI_HOME)) return ["offline", "official"];
  console.log("OFFICIAL_PULUMI_HOME does not name a Pulumi home with the official plugins: measuring the offline set alone.");
  return ["offline"];
}

/** Every run that failed and was run again, for the closing note. */
export const failures: string[] = [];

/**
 * Seconds `npm run ARGS` took. A failed run is counted and run once more (the official postgresql
 * plugin fails some cold `up`s with XX000 "tuple concurrently updated"), the time of both counted.
 */
export function npmRun(args: string[], env: NodeJS.ProcessEnv, label: string, cwd: string = repoRoot): number {
  const start = performance.now();
  for (let attempt = 1; ; attempt++) {
    const result = spawnSync("npm", ["run", "-s", ...args], { cwd, env, encoding: "utf8" });
    if (result.status === 0) return (performance.now() - start) / 1000;
    const output = result.stdout + result.stderr;
    const reason = /error: (.*)/.exec(output.split("\n").find((line) => /error: .*(XX000|failed|refused)/.test(line)) ?? "")?.[1];
    failures.push(`${label}: npm run ${args.join(" ")} failed${reason ? ` (${reason.trim().slice(0, 160)})` : ""}`);
    if (attempt === 2) throw new Error(`npm run ${args.join(" ")} failed twice:\n${output.slice(-4000)}`);
  }
}

/**
 * Runs `fn` with a throwaway state backend for one stack lifecycle on `set`, and puts the ci stack
 * file of the checkout in `root` back as it was afterwards (`up` may write an encryption salt into it).
 */
export async function withThrowawayStack<T>(
  set: PluginSet,
  fn: (env: NodeJS.ProcessEnv) => T | Promise<T>,
  root: string = repoRoot,
): Promise<T> {
  const stackFile = path.join(root, "Pulumi.ci.yaml");
  const before = readFileSync(stackFile, "utf8");
  const backend = mkdtempSync(path.join(os.tmpdir(), "confradar-bench-state-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "confradar-bench-throwaway",
    CONFRADAR_PLUGINS: set,
    ...(set === "official" ? { PULUMI_HOME: process.env.OFFICIAL_PULUMI_HOME } : {}),
  };
  try {
    return await fn(env);
  } finally {
    rmSync(backend, { recursive: true, force: true });
    writeFileSync(stackFile, before);
  }
}

/** A markdown table row per figure: the median of each column's runs. */
export function printMedians(title: string, columns: Record<string, Record<string, number[]>>, figures: string[]): void {
  const names = Object.keys(columns);
  console.log(`\n${title}`);
  console.log(`| figure | ${names.join(" | ")} |`);
  console.log(`| --- | ${names.map(() => "---").join(" | ")} |`);
  for (const figure of figures) {
    const cells = names.map((n) => {
      const runs = columns[n]![figure];
      return runs && runs.length > 0 ? `${median(runs).toFixed(1)} s` : "";
    });
    console.log(`| ${figure} | ${cells.join(" | ")} |`);
  }
}
