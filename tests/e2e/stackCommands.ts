/**
 * The e2e suites' hands: the README's stack commands as a user types them (`npm run up -- --stack
 * ci`), against a throwaway state backend, with each step timed; and what the suites look at
 * (Docker objects, roles' connections, the app over 127.0.0.1).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { readMigrationSet } from "../../app/src/migrate/files.js";
import { repoRoot } from "../../scripts/stack/stack.js";
import { sh } from "../toolchain/pulumiProject.js";
import { dockerNames } from "./dockerObjects.js";
import { recordStackVolume } from "./stackLeftovers.js";

export { dockerNames };

/** How many migrations the repository holds (the suites add and remove their own around it). */
export const committedMigrations = readMigrationSet(path.join(repoRoot, "migrations")).names.length;

/** Where the suites keep what CI uploads (screenshots, timings): printed by each suite. */
export const artifactsDir = path.join(repoRoot, ".artifacts", "e2e");

export interface CommandResult {
  code: number;
  output: string;
  seconds: number;
}

export interface StartedCommand {
  pid: number;
  done: Promise<CommandResult>;
  /** SIGKILL to the command's process group after `ms`; true when it was still running. */
  kill: (ms: number) => Promise<boolean>;
}

export interface StepTiming {
  step: string;
  seconds: number;
}

/** One stack's commands, with its passphrase and a throwaway backend; records every step's time. */
export class StackCommands {
  readonly backendDir = mkdtempSync(path.join(os.tmpdir(), "confradar-e2e-state-"));
  readonly timings: StepTiming[] = [];
  /** Every `up` and `destroy`, and whether it succeeded on its first try. */
  readonly attempts: { command: string; ok: boolean }[] = [];
  /** What every command printed, in order (commands run with --show-secrets left out): the secrets audit reads it. */
  readonly transcript: string[] = [];
  private readonly stackFile: string;
  private readonly stackFileBefore: string;

  constructor(readonly stack: string) {
    // `pulumi stack init` writes this run's salt into the stack file, and scenarios change its
    // config: the file is put back as it was by restore().
    this.stackFile = path.join(repoRoot, `Pulumi.${stack}.yaml`);
    this.stackFileBefore = readFileSync(this.stackFile, "utf8");
  }

  /** dev has its documented passphrase (its stack file's salt); ci takes this run's. */
  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_BACKEND_URL: `file://${this.backendDir}` };
    if (this.stack === "dev") delete env.PULUMI_CONFIG_PASSPHRASE;
    else env.PULUMI_CONFIG_PASSPHRASE = "confradar-e2e-throwaway";
    return env;
  }

  /** `npm run COMMAND -- --stack STACK ARGS`; prints and records how long it took. */
  async run(command: string, args: string[] = [], label = `${command} ${args.join(" ")}`.trim()): Promise<CommandResult> {
    const started = performance.now();
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      const child = spawn("npm", ["run", "-s", command, "--", "--stack", this.stack, ...args], {
        cwd: repoRoot,
        env: this.env(),
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.on("close", (code) => resolve({ code: code ?? 1, output }));
    });
    const seconds = (performance.now() - started) / 1000;
    this.timings.push({ step: `${this.stack}: ${label}`, seconds });
    console.log(`[e2e ${this.stack}] ${label}: ${seconds.toFixed(1)} s (exit ${result.code})`);
    if (command === "up" || command === "destroy") this.attempts.push({ command: label, ok: result.code === 0 });
    if (command === "up") recordStackVolume(this.stack);
    if (!args.includes("--show-secrets")) this.transcript.push(result.output);
    return { ...result, seconds };
  }

  /**
   * `npm run COMMAND` in a process group of its own, for a test that kills it midway: `kill(ms)`
   * sends SIGKILL to the whole group (npm, the CLI, the language host, the plugins) after `ms`, as
   * a power cut or an OOM kill would, and says whether the command was still running then.
   */
  start(command: string, args: string[] = [], label = `${command} ${args.join(" ")}`.trim()): StartedCommand {
    const started = performance.now();
    const child = spawn("npm", ["run", "-s", command, "--", "--stack", this.stack, ...args], {
      cwd: repoRoot,
      env: this.env(),
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let running = true;
    const done = new Promise<CommandResult>((resolve) => {
      child.on("close", (code) => {
        running = false;
        const seconds = (performance.now() - started) / 1000;
        console.log(`[e2e ${this.stack}] ${label}: ${seconds.toFixed(1)} s (exit ${code ?? "killed"})`);
        this.transcript.push(output);
        resolve({ code: code ?? 137, output, seconds });
      });
    });
    const kill = async (ms: number): Promise<boolean> => {
      await new Promise((r) => setTimeout(r, ms));
      const wasRunning = running;
      if (wasRunning && child.pid) {
        // The CLI starts its language host in a process group of its own: kill the whole tree, as
        // a power cut would, or it lives on as an orphan.
        for (const pid of [child.pid, ...descendantsOf(child.pid)]) {
          try {
            process.kill(pid === child.pid ? -pid : pid, "SIGKILL");
          } catch {
            // Ended between the listing and the signal.
          }
        }
      }
      await done;
      return wasRunning;
    };
    return { pid: child.pid ?? -1, done, kill };
  }

  /**
   * `npm run pulumi -- ARGS` with this stack's backend and passphrase (stack init, config set).
   * `input` goes to stdin: how a secret reaches `config set --secret` without a command line.
   */
  async pulumi(args: string[], input?: string): Promise<CommandResult> {
    const started = performance.now();
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      const child = spawn("npm", ["run", "-s", "pulumi", "--", ...args], { cwd: repoRoot, env: this.env() });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.on("close", (code) => resolve({ code: code ?? 1, output }));
      child.stdin.end(input ?? "");
    });
    if (!args.includes("--show-secrets")) this.transcript.push(result.output);
    if (result.code !== 0) throw new Error(`npm run pulumi -- ${args.join(" ")} failed (exit ${result.code}):\n${result.output}`);
    return { ...result, seconds: (performance.now() - started) / 1000 };
  }

  /** Sets `confradar:KEY` as a secret of this stack (encrypted into the stack file). */
  async setSecret(key: string, value: string): Promise<void> {
    await this.pulumi(["config", "set", "--secret", `confradar:${key}`, "--stack", this.stack], value);
  }

  /** run() that must succeed; the error carries the command's last output. */
  async must(command: string, args: string[] = [], label?: string): Promise<CommandResult> {
    const result = await this.run(command, args, label);
    if (result.code !== 0)
      throw new Error(
        `npm run ${command} -- --stack ${this.stack} ${args.join(" ")} failed (exit ${result.code}):\n${result.output.slice(-6000)}`,
      );
    return result;
  }

  /** The stack's outputs, secrets shown. */
  async outputs(): Promise<Record<string, unknown>> {
    const shown = await this.must("outputs", ["--show-secrets"]);
    return JSON.parse(shown.output.slice(shown.output.indexOf("{"))) as Record<string, unknown>;
  }

  /** Sets `confradar:KEY` values in the stack file (keeping its salt); restore() undoes it. */
  setConfig(values: Record<string, string>): void {
    const lines = readFileSync(this.stackFile, "utf8")
      .split("\n")
      .filter((line) => !Object.keys(values).some((key) => line.trimStart().startsWith(`confradar:${key}:`)));
    const at = lines.findIndex((line) => line.startsWith("config:"));
    if (at < 0) throw new Error(`${this.stackFile} has no config: section`);
    lines.splice(at + 1, 0, ...Object.entries(values).map(([key, value]) => `  confradar:${key}: "${value}"`));
    writeFileSync(this.stackFile, lines.join("\n"));
  }

  /** Files of the state backend, for the secrets check. */
  stateFiles(): string[] {
    return readdirSync(this.backendDir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name));
  }

  /** Puts the stack file back, writes the timings, removes the backend. */
  restore(): void {
    writeFileSync(this.stackFile, this.stackFileBefore);
    mkdirSync(artifactsDir, { recursive: true });
    const file = path.join(artifactsDir, `timings-${this.stack}.json`);
    writeFileSync(file, JSON.stringify({ timings: this.timings, attempts: this.attempts }, null, 2));
    console.log(
      `[e2e ${this.stack}] step timings:\n${this.timings.map((t) => `  ${t.seconds.toFixed(1).padStart(6)} s  ${t.step}`).join("\n")}`,
    );
    console.log(`[e2e ${this.stack}] timings written to ${file}`);
    rmSync(this.backendDir, { recursive: true, force: true });
  }
}

/** Every process below `root` (children, their children, ...), from `ps`. */
function descendantsOf(root: number): number[] {
  const parentOf = sh("ps", ["-eo", "pid=,ppid="])
    .stdout.split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((pair) => pair.length === 2 && pair.every(Number.isFinite));
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid !== parent || found.includes(pid!)) continue;
      found.push(pid!);
      queue.push(pid!);
    }
  }
  return found;
}

/** Volumes Docker named itself (64 hex digits): what an image's VOLUME leaves behind when unmounted. */
export function anonymousVolumes(): string[] {
  return dockerNames("volume", "").filter((name) => /^[0-9a-f]{64}$/.test(name));
}

export function containerId(name: string): string {
  return sh("docker", ["inspect", "--format", "{{.Id}}", name]).stdout.trim();
}

export function health(name: string): string {
  return sh("docker", [
    "inspect",
    "--format",
    "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
    name,
  ]).stdout.trim();
}

/** Host addresses every published port of a container is bound to. */
export function publishedHostIps(name: string): string[] {
  const out = sh("docker", ["inspect", "--format", "{{json .NetworkSettings.Ports}}", name]).stdout.trim();
  const ports = JSON.parse(out || "{}") as Record<string, { HostIp: string; HostPort: string }[] | null>;
  return Object.values(ports).flatMap((bindings) => (bindings ?? []).map((b) => b.HostIp));
}

/** Runs SQL as the superuser through the server container's socket (for hand-made drift). */
export function superuserSql(container: string, database: string, sql: string): string {
  const result = sh("docker", [
    "exec",
    container,
    "psql",
    "-X",
    "-At",
    "-v",
    "ON_ERROR_STOP=1",
    "-U",
    "postgres",
    "-d",
    database,
    "-c",
    sql,
  ]);
  if (result.status !== 0) throw new Error(`psql in ${container} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** One query with a role's connection string; the client is always closed. */
export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The SQLSTATE a query fails with, or "ok". */
export async function sqlState(url: string, sql: string): Promise<string> {
  try {
    await query(url, sql);
    return "ok";
  } catch (error) {
    return String((error as { code?: string }).code ?? (error as Error).message);
  }
}

export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: await response.text() };
}

/** Polls until `check` holds (bounded); returns the seconds it took. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Creates a conference through the API: a row the data-survival checks look for afterwards. */
export async function createMarker(appUrl: string, tag: string): Promise<string> {
  const acronym = `E2E${tag}${Date.now().toString(36)}`.toUpperCase().slice(0, 20);
  const response = await fetch(new URL("/api/conferences", appUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ acronym, name: `End-to-end marker ${acronym}`, year: new Date().getFullYear() + 1, format: "online" }),
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status !== 201) throw new Error(`POST /api/conferences answered ${response.status}: ${await response.text()}`);
  return acronym;
}

export async function markerExists(appConnectionString: string, acronym: string): Promise<boolean> {
  const rows = await query<{ n: number }>(appConnectionString, "SELECT count(*)::int AS n FROM conferences WHERE acronym = $1", [
    acronym,
  ]);
  return rows[0]!.n === 1;
}

/** Every password in the outputs (the three roles, the superuser, pgAdmin's login). */
export function passwordsIn(outputs: Record<string, unknown>): string[] {
  const passwords = ["migrator", "app", "readonly", "superuser"].map((role) =>
    decodeURIComponent(new URL(String(outputs[`${role}ConnectionString`])).password),
  );
  if (outputs.pgadminPassword) passwords.push(String(outputs.pgadminPassword));
  return passwords;
}

/** Files under a folder whose text contains any of the strings. */
export function filesContaining(files: string[], needles: string[]): string[] {
  return files.filter((file) => {
    const text = readFileSync(file, "utf8");
    return needles.some((needle) => text.includes(needle));
  });
}
