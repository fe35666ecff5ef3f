// The project's way to run the Pulumi CLI: `npm run pulumi -- <args>` or `tsx scripts/pulumi/pulumi.ts <args>`.
// Runs node_modules/.bin/pulumi with the offline environment, stdio inherited, exit code passed on.
import "../../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { offlinePluginEnv, parsePluginSetting } from "../stack/plugins.js";
import { offlinePulumiEnv, repoRoot, toolchainProblems } from "./offline-env.js";

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
  const launcher = path.join(repoRoot, "node_modules", ".bin", "pulumi");
  if (!existsSync(launcher)) {
    process.stderr.write("pulumi: node_modules/.bin/pulumi is missing: run `npm ci` first.\n");
    return 1;
  }
  const problems = toolchainProblems(env);
  if (problems.length > 0) {
    process.stderr.write(`pulumi: the offline toolchain is not installed:\n  ${problems.join("\n  ")}\n`);
    return 1;
  }
  return await new Promise<number>((resolve) => {
    // Output is passed through and scanned for a missing plugin, to say how to get it. A terminal
    // keeps stdout (the CLI's interactive display); Pulumi's own message names the plugin there.
    const stdoutMode = process.stdout.isTTY ? "inherit" : "pipe";
    const child = spawn(launcher, args, { cwd: process.cwd(), env, stdio: ["inherit", stdoutMode, "pipe"] });
    let tail = "";
    const relay = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
      target.write(chunk);
      tail = (tail + chunk.toString()).slice(-16384);
    };
    child.stdout?.on("data", relay(process.stdout));
    child.stderr?.on("data", relay(process.stderr));
    child.on("error", (error) => {
      process.stderr.write(`pulumi: could not start ${launcher}: ${error.message}\n`);
      resolve(1);
    });
    child.on("close", (code, signal) => {
      const hint = code !== 0 ? missingPluginHint(tail) : undefined;
      if (hint) process.stderr.write(`pulumi: ${hint}\n`);
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runPulumi(process.argv.slice(2));
}
