/**
 * Where the time of the ci stack's `up` goes: one cold `up`, one no-op `up` and `destroy` in a
 * throwaway state backend, each with Pulumi's engine event log (`npm run up -- --event-log FILE`).
 * The log's own timestamps are whole seconds, so this script reads the file while the command runs
 * and stamps each event as it arrives (every 25 ms). Prints, per command, when the engine's first
 * event came (the cost of npm, the stack script, the CLI, the language host and the program's
 * transpile), then each resource step's start, end and duration, and the command's total.
 *
 *   flock /tmp/confradar-heavy.lock npm run bench:stack-timeline [-- --plugins offline|official]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../scripts/stack/stack.js";
import { hasOfficialPlugins, type PluginSet, withThrowawayStack } from "./stack-runs.js";

interface EngineEvent {
  resourcePreEvent?: { metadata: { urn: string; op: string; type: string } };
  resOutputsEvent?: { metadata: { urn: string; op: string; type: string } };
  resOpFailedEvent?: { metadata: { urn: string; op: string; type: string } };
  summaryEvent?: unknown;
}

interface Step {
  name: string;
  op: string;
  start: number;
  end?: number;
}

async function timeline(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "confradar-timeline-"));
  const file = path.join(dir, "events.jsonl");
  const started = performance.now();
  const child = spawn("npm", ["run", "-s", ...args, "--event-log", file], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  let done = false;
  void exited.then(() => (done = true));
  const steps = new Map<string, Step>();
  let firstEvent: number | undefined;
  let consumed = 0;
  const read = () => {
    if (!existsSync(file)) return;
    const text = readFileSync(file, "utf8");
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    const now = (performance.now() - started) / 1000;
    for (const line of complete.slice(consumed).split("\n").filter(Boolean)) {
      firstEvent ??= now;
      const event = JSON.parse(line) as EngineEvent;
      const pre = event.resourcePreEvent?.metadata;
      const end = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
      if (pre && pre.type !== "pulumi:pulumi:Stack") {
        steps.set(pre.urn, { name: `${pre.type.split(":").pop()} ${pre.urn.split("::").pop()}`, op: pre.op, start: now });
      }
      if (end) {
        const step = steps.get(end.urn);
        if (step) step.end = now;
      }
    }
    consumed = complete.length;
  };
  while (!done) {
    read();
    await new Promise((r) => setTimeout(r, 25));
  }
  read();
  const code = await exited;
  const total = (performance.now() - started) / 1000;
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `\nnpm run ${args.join(" ")}: ${total.toFixed(1)} s${code === 0 ? "" : ` (FAILED, exit ${code})\n${stderr.slice(-2000)}`}`,
  );
  console.log(
    `  ${(firstEvent ?? 0).toFixed(2).padStart(6)} s  first engine event (npm, stack script, CLI, language host, program)`,
  );
  const rows = [...steps.values()].filter((s) => s.op !== "same" || (s.end ?? s.start) - s.start >= 0.05);
  for (const s of rows.sort((a, b) => a.start - b.start)) {
    const end = s.end ?? s.start;
    console.log(
      `  ${s.start.toFixed(2).padStart(6)} -> ${end.toFixed(2).padStart(6)} s  ${(end - s.start).toFixed(2).padStart(5)} s  ${s.op.padEnd(7)} ${s.name}`,
    );
  }
  const lastEnd = Math.max(0, ...[...steps.values()].map((s) => s.end ?? s.start));
  console.log(
    `  ${lastEnd.toFixed(2).padStart(6)} s  last step done; ${(total - lastEnd).toFixed(2)} s after it (outputs, summary, exit)`,
  );
  if (code !== 0) throw new Error(`npm run ${args.join(" ")} failed`);
}

const i = process.argv.indexOf("--plugins");
const set = (i >= 0 ? process.argv[i + 1] : "offline") as PluginSet;
if (set !== "offline" && set !== "official") throw new Error(`--plugins must be offline or official, got ${set}`);
if (set === "official" && !hasOfficialPlugins(process.env.OFFICIAL_PULUMI_HOME))
  throw new Error("--plugins official needs OFFICIAL_PULUMI_HOME: a Pulumi home with the official plugins");
await withThrowawayStack(set, async (env) => {
  try {
    await timeline(["up", "--", "--stack", "ci"], env);
    await timeline(["up", "--", "--stack", "ci", "--expect-no-changes"], env);
  } finally {
    await timeline(["destroy", "--", "--stack", "ci"], env);
  }
});
