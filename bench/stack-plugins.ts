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
import { failures, npmRun, pluginSets, printMedians, withThrowawayStack, type PluginSet } from "./stack-runs.js";
import { parseRuns } from "./stats.js";

const runs = parseRuns(process.argv.slice(2), 3);
const sets = pluginSets();
const figures: Record<PluginSet, Record<"cold up" | "no-op up" | "destroy", number[]>> = {
  offline: { "cold up": [], "no-op up": [], destroy: [] },
  official: { "cold up": [], "no-op up": [], destroy: [] },
};
for (let run = 1; run <= runs; run++) {
  for (const set of sets) {
    await withThrowawayStack(set, (env) => {
      try {
        figures[set]["cold up"].push(npmRun(["up", "--", "--stack", "ci"], env, set));
        figures[set]["no-op up"].push(npmRun(["up", "--", "--stack", "ci", "--expect-no-changes"], env, set));
      } finally {
        figures[set].destroy.push(npmRun(["destroy", "--", "--stack", "ci"], env, set));
      }
    });
    console.log(
      `run ${run}/${runs} ${set}: ${Object.entries(figures[set])
        .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(1)} s`)
        .join(", ")}`,
    );
  }
}

printMedians(
  `ci stack, median of ${runs} (wall time of each npm run, set-up and plugin choice included):`,
  Object.fromEntries(sets.map((set) => [set, figures[set]])),
  ["cold up", "no-op up", "destroy"],
);
console.log(failures.length ? `\nfailed and run again (time included above):\n  ${failures.join("\n  ")}` : "\nno run failed.");
