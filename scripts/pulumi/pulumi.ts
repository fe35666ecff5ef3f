// The project's way to run the Pulumi CLI: `npm run pulumi -- <args>` or `tsx scripts/pulumi/pulumi.ts <args>`.
// Runs the project's CLI (spawnPulumi.ts) with the offline environment, output shown, exit code passed on.
import "../../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { pathToFileURL } from "node:url";
import { offlinePluginEnv, parsePluginSetting } from "../stack/plugins.js";
import { offlinePulumiEnv, repoRoot, toolchainProblems } from "./offline-env.js";
import { spawnPulumi } from "./spawnPulumi.js";

/** Output lines that mean a plugin is not installed (downloads are switched off). */
export function missingPluginHint(output: string): string | undefined {
  const match =
    /no resource plugin '(?:pulumi-resource-)?([^']+)' found(?: in the workspace)?(?: at version (v?[\w.+-]+))?/i.exec(output);
  if (!match) return undefined;
  const plugin = match[2] ? `${match[1]} ${match[2]}` : match[1];
  return (
    `The Pulumi plugin ${plugin} is not installed and downloads are switched off. \`npm run up\` (and preview, ` +
    `refresh, destroy) install the official plugins where they can, else run ConfRadar's offline plugins; ` +
    `for \`npm run pulumi\`, set CONFRADAR_PLUGINS=offline to use the offline ones (docs/offline.md).`
  );
}

/** The environment of `npm run pulumi`: CONFRADAR_PLUGINS=offline puts the offline plugins first on PATH. */
export function pulumiCommandEnv(base: NodeJS.ProcessEnv = offlinePulumiEnv()): NodeJS.ProcessEnv {
  return parsePluginSetting(base.CONFRADAR_PLUGINS) === "offline" ? offlinePluginEnv(repoRoot, base) : base;
}

export async function runPulumi(args: string[], env: NodeJS.ProcessEnv = pulumiCommandEnv()): Promise<number> {
  const problems = toolchainProblems(env);
  if (problems.length > 0) {
    process.stderr.write(`pulumi: the offline toolchain is not installed:\n  ${problems.join("\n  ")}\n`);
    return 1;
  }
  try {
    // Output is passed through and scanned for a missing plugin, to say how to get it. A terminal
    // keeps stdout (the CLI's interactive display); Pulumi's own message names the plugin there.
    const exit = await spawnPulumi(args, {
      env,
      cwd: process.cwd(),
      stdout: process.stdout.isTTY ? "inherit" : "relay",
      stderr: "relay",
    });
    const hint = exit.code !== 0 ? missingPluginHint(exit.tail) : undefined;
    if (hint) process.stderr.write(`pulumi: ${hint}\n`);
    return exit.code;
  } catch (error) {
    process.stderr.write(`pulumi: ${(error as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runPulumi(process.argv.slice(2));
}
