/** The app's real processes for tests: started the way the npm scripts start them, output collected. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MAIN = path.join(ROOT, "app/src/main.ts");
export const MIGRATE_CLI = path.join(ROOT, "app/src/migrate/cli.ts");

export interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** The script to run with `node --import tsx` (default app/src/main.ts), or a whole command line. */
  script?: string;
  command?: string[];
  /** Its own process group, as a terminal gives `npm run app`: signal it with `process.kill(-pid)`. */
  group?: boolean;
}

/** Starts `node --import tsx SCRIPT ARGS` (as `npm run app` does), with only the env given plus PATH. */
export function start(args: string[], env: Record<string, string>, opts: StartOptions = {}): Run {
  const [command, ...rest] = opts.command ?? [process.execPath, "--import", "tsx", opts.script ?? MAIN];
  const child = spawn(command!, [...rest, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.group ?? false,
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exit };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(run: Run, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(run.output());
    if (m) return m;
    if (run.child.exitCode !== null || run.child.signalCode !== null) {
      throw new Error(`process exited before ${pattern}:\n${run.output()}`);
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}:\n${run.output()}`);
    await sleep(50);
  }
}

/** The process's exit, or an error after `timeoutMs` (the process is then killed). */
export async function exitWithin(run: Run, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill("SIGKILL");
      reject(new Error(`process ${run.child.pid} did not exit within ${timeoutMs} ms:\n${run.output()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([run.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A small seeded generator (mulberry32), so that a failing random run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
