import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../../app/src/paths.js";

/** The project's Pulumi CLI: the launcher npm ci links to the CLI built from Go modules. */
export const pulumiLauncher = path.join(repoRoot, "node_modules", ".bin", "pulumi");

export class PulumiLauncherMissingError extends Error {
  constructor() {
    super("The Pulumi CLI launcher node_modules/.bin/pulumi is missing: run `npm ci` first.");
  }
}

export interface SpawnPulumiOptions {
  /** The whole environment of the command (offlinePulumiEnv and the plugin choice are the callers'). */
  env: NodeJS.ProcessEnv;
  /** Default: this repository. */
  cwd?: string;
  /**
   * inherit: straight to this process's stdout (a terminal keeps the CLI's interactive display);
   * capture: kept and returned, not shown; stderr: shown on stderr, so stdout stays free for what the
   * caller prints; relay: shown and also kept in `tail`.
   */
  stdout: "inherit" | "capture" | "stderr" | "relay";
  /** inherit, or relay: shown and also kept in `tail`. */
  stderr: "inherit" | "relay";
}

export interface PulumiExit {
  /** The exit status; 128 + the signal's number when a signal ended it. */
  code: number;
  /** Everything on stdout, with `stdout: "capture"`. */
  stdout: string;
  /** The last 16 KiB of the relayed output, to scan for a known failure. */
  tail: string;
}

/**
 * The one place that starts the project's Pulumi CLI: `npm run pulumi` (scripts/pulumi/pulumi.ts)
 * and every stack command (scripts/stack/stack.ts) go through it. Rejects if the CLI cannot start.
 */
export async function spawnPulumi(args: string[], options: SpawnPulumiOptions): Promise<PulumiExit> {
  if (!existsSync(pulumiLauncher)) throw new PulumiLauncherMissingError();
  const stdoutMode = options.stdout === "inherit" ? "inherit" : options.stdout === "stderr" ? 2 : "pipe";
  const stderrMode = options.stderr === "inherit" ? "inherit" : "pipe";
  return await new Promise((resolve, reject) => {
    const child = spawn(pulumiLauncher, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env,
      stdio: ["inherit", stdoutMode, stderrMode],
    });
    let stdout = "";
    let tail = "";
    const relay = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
      target.write(chunk);
      tail = (tail + chunk.toString()).slice(-16384);
    };
    if (options.stdout === "capture") child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    else if (options.stdout === "relay") child.stdout?.on("data", relay(process.stdout));
    child.stderr?.on("data", relay(process.stderr));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ code: code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0), stdout, tail }),
    );
  });
}
