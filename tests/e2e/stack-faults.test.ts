// The stack under faults (issue #11), through the README's commands on a stack of this suite's own
// (`e2e-faults`: its own stack file, written and removed here; containers confradar-e2e-faults-*,
// free loopback ports; state in a throwaway backend). Each test is a bounded loop that prints its
// figure; the table of figures is printed at the end and written to .artifacts/e2e/faults.md.
// Random kill points come from one seed, printed (CONFRADAR_FAULTS_SEED=N repeats a run).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/stack/stack.js";
import { freeLoopbackPort, removeLabelled, requireDocker, sh } from "../toolchain/pulumiProject.js";
import {
  anonymousVolumes,
  artifactsDir,
  committedMigrations,
  containerId,
  health,
  httpGet,
  passwordsIn,
  publishedHostIps,
  query,
  sqlState,
  StackCommands,
  superuserSql,
  waitUntil,
} from "./stackCommands.js";

const stackName = "e2e-faults";
const label = `com.confradar.stack=${stackName}`;
const prefix = `confradar-${stackName}-`;
const postgres = `${prefix}postgres`;
const apps = [`${prefix}api`, `${prefix}worker`];
const stackFile = path.join(repoRoot, `Pulumi.${stackName}.yaml`);
const slowMigration = "29991231000000002_e2e-slow";
const slowMigrationFile = path.join(repoRoot, "migrations", `${slowMigration}.ts`);

let stack: StackCommands;
let outputs: Record<string, unknown> = {};
const url = (role: string) => String(outputs[`${role}ConnectionString`]);
const appUrl = (route: string) => new URL(route, String(outputs.appUrl)).href;

interface FaultRow {
  test: string;
  goal: string;
  measured: string;
  met: boolean;
}
const rows: FaultRow[] = [];
function record(row: FaultRow): void {
  rows.push(row);
  console.log(`[e2e faults] ${row.test}: ${row.measured} (goal: ${row.goal}) ${row.met ? "met" : "NOT met"}`);
}

// mulberry32: a small seeded generator, so a run's kill points can be repeated.
const seed = Number(process.env.CONFRADAR_FAULTS_SEED ?? Date.now() % 2 ** 31);
let rngState = seed >>> 0;
function random(): number {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (low: number, high: number) => Math.round(low + random() * (high - low));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stack's containers and networks as Docker has them (by the stack's label), sorted. */
function labelled(kind: "ps" | "network"): string[] {
  const args = kind === "ps" ? ["ps", "-a", "--format", "{{.Names}}"] : ["network", "ls", "--format", "{{.Name}}"];
  return sh("docker", [...args, "--filter", `label=${label}`])
    .stdout.split("\n")
    .filter(Boolean)
    .sort();
}
const expectedContainers = [...apps, postgres].sort();
const expectedNetworks = [`${prefix}net`];

/** Container ids by name: what "nothing was created or changed" compares. */
function containerIds(): string {
  return sh("docker", ["ps", "-a", "--filter", `label=${label}`, "--format", "{{.Names}}={{.ID}}"])
    .stdout.split("\n")
    .filter(Boolean)
    .sort()
    .join(" ");
}

/** The stack's resources in its state by URN (secrets shown, kept in memory only). */
async function stateResources(): Promise<Map<string, Record<string, unknown>>> {
  const exported = await stack.pulumi(["stack", "export", "--show-secrets", "--stack", stackName]);
  const deployment = JSON.parse(exported.output.slice(exported.output.indexOf("{"))) as {
    deployment: { resources?: Record<string, unknown>[] };
  };
  return new Map((deployment.deployment.resources ?? []).map((r) => [String(r.urn), r]));
}

/** What differs between two states: "URN field" lines, never the values (they hold secrets). */
function stateDifferences(before: Map<string, Record<string, unknown>>, after: Map<string, Record<string, unknown>>): string[] {
  const lines: string[] = [];
  for (const urn of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(urn);
    const b = after.get(urn);
    if (!a || !b) {
      lines.push(`${urn} ${a ? "removed" : "added"}`);
      continue;
    }
    for (const field of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) lines.push(`${urn.split("::").pop()} ${field}`);
  }
  return lines;
}

/** A value that changes a Postgres setting only its container carries: `up` replaces Postgres. */
let stopGrace = 90;
function forcePostgresReplacement(): void {
  stopGrace = stopGrace === 91 ? 92 : 91;
  stack.setConfig({ stopGraceSeconds: String(stopGrace) });
}
/** A value only the app containers carry: `up` replaces the api and the worker. */
let poolMax = 10;
function forceAppReplacement(): void {
  poolMax = poolMax === 11 ? 12 : 11;
  stack.setConfig({ appPoolMax: String(poolMax) });
}

/**
 * A client that writes one row at a time and keeps the ids the server acknowledged (COMMIT
 * returned). On an error it reconnects; an id whose INSERT failed is never reused, so a row that
 * was committed but not acknowledged cannot be mistaken for a lost one. Bounded by `limitMs`.
 */
class AcknowledgedWriter {
  readonly acknowledged: number[] = [];
  errors = 0;
  private stopped = false;
  private readonly finished: Promise<void>;

  constructor(
    private readonly connectionString: string,
    limitMs: number,
  ) {
    this.finished = this.loop(performance.now() + limitMs);
  }

  private async loop(deadline: number): Promise<void> {
    let next = 1;
    let client: pg.Client | undefined;
    while (!this.stopped && performance.now() < deadline) {
      const id = next++;
      try {
        if (!client) {
          client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2000, query_timeout: 5000 });
          client.on("error", () => undefined);
          await client.connect();
        }
        await client.query("INSERT INTO e2e_acknowledged (id) VALUES ($1)", [id]);
        this.acknowledged.push(id);
        await sleep(5);
      } catch {
        this.errors++;
        await client?.end().catch(() => undefined);
        client = undefined;
        await sleep(200);
      }
    }
    await client?.end().catch(() => undefined);
  }

  /** Resolves once the server has acknowledged `more` rows beyond now (bounded). */
  async progress(more = 5, timeoutMs = 60_000): Promise<number> {
    const target = this.acknowledged.length + more;
    return await waitUntil("the writer acknowledged again", async () => this.acknowledged.length >= target, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.finished;
  }
}

beforeAll(async () => {
  requireDocker();
  // The stack name is this suite's alone: what a killed run of it left is removed, not refused.
  const leftovers = labelled("ps");
  if (leftovers.length > 0) console.log(`[e2e faults] removing what an interrupted run left: ${leftovers.join(", ")}`);
  removeLabelled("com.confradar.stack", stackName);
  rmSync(slowMigrationFile, { force: true });
  console.log(`[e2e faults] seed ${seed} (CONFRADAR_FAULTS_SEED=${seed} repeats this run's kill points)`);
  writeFileSync(
    stackFile,
    [
      `# Written by tests/e2e/stack-faults.test.ts; removed when it ends.`,
      `config:`,
      `  confradar:postgresPort: "${await freeLoopbackPort()}"`,
      `  confradar:appPort: "${await freeLoopbackPort()}"`,
      `  confradar:pgadminEnabled: "false"`,
      `  confradar:retainVolume: "false"`,
      `  confradar:ingestIntervalSeconds: "0"`,
      ``,
    ].join("\n"),
  );
  stack = new StackCommands(stackName);
  await stack.pulumi(["stack", "init", stackName, "--secrets-provider", "passphrase"]);
  await stack.must("up", [], "cold up");
  outputs = await stack.outputs();
  for (const name of expectedContainers) expect(health(name), name).toBe("healthy");
});

afterAll(async () => {
  rmSync(slowMigrationFile, { force: true });
  try {
    if (stack) await stack.run("destroy", ["--wipe-volume"], "cleanup destroy --wipe-volume");
  } finally {
    removeLabelled("com.confradar.stack", stackName);
    stack?.restore();
    rmSync(stackFile, { force: true });
  }
  const table = [
    "| test | goal | measured | met |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.test} | ${r.goal} | ${r.measured} | ${r.met ? "yes" : "**no**"} |`),
  ].join("\n");
  mkdirSync(artifactsDir, { recursive: true });
  writeFileSync(path.join(artifactsDir, "faults.md"), `Seed ${seed}.\n\n${table}\n`);
  console.log(`[e2e faults] seed ${seed}\n${table}`);
});

describe("the stack under faults", () => {
  it("roles: app DDL, read-only writes, PUBLIC connect and app writes to the migrations ledger are all denied (42501)", async () => {
    const attempts: [string, string][] = [
      ["app", "CREATE TABLE e2e_ddl (id int)"],
      ["app", "ALTER TABLE conferences ADD COLUMN e2e_ddl int"],
      ["app", "DROP TABLE conferences"],
      ["app", "CREATE SCHEMA e2e_ddl"],
      ["app", "CREATE INDEX e2e_ddl ON conferences (name)"],
      ["readonly", "INSERT INTO topics (slug, name) VALUES ('e2e', 'e2e')"],
      ["readonly", "UPDATE conferences SET name = name"],
      ["readonly", "DELETE FROM conferences"],
      ["readonly", "TRUNCATE conferences"],
      ["readonly", "CREATE TABLE e2e_ro (id int)"],
      ["app", "INSERT INTO migration_ledger.pgmigrations (name, run_on) VALUES ('forged', now())"],
      ["app", "UPDATE migration_ledger.pgmigrations SET name = name"],
      ["app", "DELETE FROM migration_ledger.pgmigrations"],
      ["app", "TRUNCATE migration_ledger.pgmigrations"],
    ];
    const states: string[] = [];
    for (const [role, sql] of attempts) states.push(await sqlState(url(role), sql));
    // PUBLIC may not connect: a role with no grant of its own is refused at the database.
    superuserSql(postgres, "postgres", "CREATE ROLE e2e_nobody LOGIN PASSWORD 'e2e-nobody-pw'");
    try {
      const nobody = new URL(url("readonly"));
      nobody.username = "e2e_nobody";
      nobody.password = "e2e-nobody-pw";
      states.push(await sqlState(nobody.href, "SELECT 1"));
    } finally {
      superuserSql(postgres, "postgres", "DROP ROLE e2e_nobody");
    }
    const denied = states.filter((s) => s === "42501").length;
    record({
      test: "roles: app DDL, read-only writes, PUBLIC connect, app writes to the ledger",
      goal: "100 % denied (42501)",
      measured: `${denied}/${states.length} denied (42501)`,
      met: denied === states.length,
    });
    expect(states).toEqual(states.map(() => "42501"));
  });

  it("secrets audit: no password in plain text in state, stack files, outputs, logs or HTTP bodies", async () => {
    const passwords = passwordsIn(outputs);
    const found: string[] = [];
    const look = (where: string, text: string) => {
      if (passwords.some((p) => text.includes(p))) found.push(where);
    };
    for (const file of stack.stateFiles()) look(`state ${path.basename(file)}`, readFileSync(file, "utf8"));
    for (const file of [stackFile, path.join(repoRoot, ".pulumi-state", "config", `Pulumi.${stackName}.local-images.yaml`)])
      if (existsSync(file)) look(path.relative(repoRoot, file), readFileSync(file, "utf8"));
    look("`npm run outputs` (no --show-secrets)", (await stack.must("outputs")).output);
    look("`npm run outputs -- --shell` (no --show-secrets)", (await stack.must("outputs", ["--shell"])).output);
    stack.transcript.forEach((text, i) => look(`command output #${i + 1}`, text));
    for (const name of expectedContainers) {
      const logs = sh("docker", ["logs", name]);
      look(`docker logs ${name}`, logs.stdout + logs.stderr);
    }
    const bodies: [string, RequestInit?][] = [
      ["/"],
      ["/api/conferences"],
      ["/readyz"],
      ["/healthz"],
      ["/api/conferences/NO-SUCH-ONE"],
      ["/api/conferences", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }],
      ["/api/conferences", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
    ];
    for (const [route, init] of bodies) {
      const response = await fetch(appUrl(route), { ...init, signal: AbortSignal.timeout(15_000) });
      look(`HTTP ${init?.method ?? "GET"} ${route} (${response.status})`, await response.text());
    }
    // What Docker itself holds: a container's configuration is readable by whoever can run `docker`.
    const dockerHolds: string[] = [];
    for (const name of expectedContainers) {
      const env = JSON.parse(sh("docker", ["inspect", "--format", "{{json .Config.Env}}", name]).stdout || "[]") as string[];
      for (const entry of env)
        if (passwords.some((p) => entry.includes(p))) dockerHolds.push(`${name.slice(prefix.length)}: ${entry.split("=")[0]}`);
    }
    const places = 4 + stack.transcript.length + expectedContainers.length + bodies.length + stack.stateFiles().length;
    record({
      test: "secrets audit",
      goal: "0 plaintext passwords (Docker's own holdings listed)",
      measured: `${found.length} found in ${places} places (state files, stack files, outputs, every command's output, container logs, HTTP bodies); docker inspect holds ${dockerHolds.join(", ")}`,
      met: found.length === 0,
    });
    expect(found).toEqual([]);
    // Each container gets the one secret it needs, as an environment variable Docker keeps.
    expect(dockerHolds.sort()).toEqual(["api: DATABASE_URL", "postgres: POSTGRES_PASSWORD", "worker: DATABASE_URL"]);
  });

  it("exposure: every published port is bound to 127.0.0.1 only and unreachable on the machine's other addresses", async () => {
    const published: { container: string; port: number }[] = [];
    for (const name of expectedContainers) {
      const ports = JSON.parse(
        sh("docker", ["inspect", "--format", "{{json .NetworkSettings.Ports}}", name]).stdout || "{}",
      ) as Record<string, { HostIp: string; HostPort: string }[] | null>;
      for (const bindings of Object.values(ports))
        for (const b of bindings ?? []) published.push({ container: name, port: Number(b.HostPort) });
      for (const ip of publishedHostIps(name)) expect(ip, name).toBe("127.0.0.1");
    }
    expect(published.length).toBeGreaterThanOrEqual(2);
    // Listening sockets for those ports (the kernel's table, IPv4 and IPv6): loopback only.
    const listeners: string[] = [];
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
        const [, local, , state] = line.trim().split(/\s+/);
        if (state !== "0A" || !local) continue;
        const [addressHex, portHex] = local.split(":");
        if (published.some((p) => p.port === parseInt(portHex!, 16))) listeners.push(addressHex!);
      }
    }
    const nonLoopback = listeners.filter((a) => a !== "0100007F" && a !== "00000000000000000000000001000000");
    // A real probe from inside the stack's own network: the machine's address on that network (its
    // gateway) and every published port; the server by its name on the network is the control that
    // shows the probe can connect at all.
    const network = String(outputs.networkName);
    const gateway = sh("docker", ["network", "inspect", "--format", "{{(index .IPAM.Config 0).Gateway}}", network]).stdout.trim();
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const appImage = sh("docker", ["inspect", "--format", "{{.Config.Image}}", apps[0]!]).stdout.trim();
    const targets = [...published.map((p) => `${gateway}:${p.port}`), `${postgres}:5432`];
    const probe = `const net=require("node:net");const out={};let left=process.argv.length-1;for(const t of process.argv.slice(1)){const [h,p]=t.split(":");const s=net.connect({host:h,port:Number(p),timeout:3000});const done=r=>{if(out[t])return;out[t]=r;s.destroy();if(--left===0)console.log(JSON.stringify(out))};s.on("connect",()=>done("open"));s.on("timeout",()=>done("timeout"));s.on("error",e=>done(e.code||"error"))}`;
    const run = sh("docker", ["run", "--rm", "--network", network, "--entrypoint", "node", appImage, "-e", probe, ...targets]);
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout.trim().split("\n").pop()!) as Record<string, string>;
    expect(results[`${postgres}:5432`]).toBe("open");
    const reachable = published.filter((p) => results[`${gateway}:${p.port}`] === "open");
    record({
      test: "exposure: published ports on the machine's non-loopback addresses",
      goal: "0 reachable",
      measured: `${published.length} ports (${published.map((p) => p.port).join(", ")}): ${reachable.length} reachable on ${gateway} (probed from the stack's network); ${nonLoopback.length} listeners off loopback`,
      met: reachable.length === 0 && nonLoopback.length === 0,
    });
    expect(reachable).toEqual([]);
    expect(nonLoopback).toEqual([]);
  });

  it("Postgres stopped for 20 s while the app serves under load: no crash, /readyz 503 meanwhile, serving again within 30 s", async () => {
    const before = apps.map((name) => sh("docker", ["inspect", "--format", "{{.Id}} {{.RestartCount}}", name]).stdout.trim());
    // Each request's start and end: one started in the outage may be answered after the start.
    const samples: { at: number; end: number; route: string; status: number | string }[] = [];
    let loading = true;
    const hardStop = performance.now() + 150_000;
    const hit = async (route: string) => {
      const at = performance.now();
      // Beyond the app's own 3 s bound on each readiness probe: a hung answer shows as a timeout.
      try {
        const response = await fetch(appUrl(route), { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        samples.push({ at, end: performance.now(), route, status: response.status });
      } catch (error) {
        samples.push({
          at,
          end: performance.now(),
          route,
          status: (error as Error).name === "TimeoutError" ? "timeout" : "error",
        });
      }
    };
    const loop = async (route: string, pauseMs: number) => {
      while (loading && performance.now() < hardStop) {
        await hit(route);
        await sleep(pauseMs);
      }
    };
    const load = [loop("/api/conferences", 20), loop("/api/conferences", 20), loop("/", 50), loop("/readyz", 250)];
    await sleep(3000);
    expect(sh("docker", ["stop", postgres]).status).toBe(0);
    const stopped = performance.now();
    await sleep(20_000);
    expect(sh("docker", ["start", postgres]).status).toBe(0);
    const back = performance.now();
    let servingAfter = Number.NaN;
    try {
      servingAfter = await waitUntil(
        "the api serving again",
        async () =>
          (await httpGet(appUrl("/api/conferences"))).status === 200 && (await httpGet(appUrl("/readyz"))).status === 200,
        60_000,
      );
    } finally {
      loading = false;
      await Promise.all(load);
    }
    const after = apps.map((name) => sh("docker", ["inspect", "--format", "{{.Id}} {{.RestartCount}}", name]).stdout.trim());
    const running = apps.map((name) => sh("docker", ["inspect", "--format", "{{.State.Running}}", name]).stdout.trim());
    // Answers given from 3 s after the stop until the start, to requests sent after the stop.
    const outage = samples.filter((s) => s.route === "/readyz" && s.at > stopped && s.end > stopped + 3000 && s.end < back);
    const ready503 = outage.filter((s) => s.status === 503).length;
    const ready200 = outage.filter((s) => s.status === 200).length;
    const served = samples.filter((s) => s.status === 200).length;
    const met =
      before.join() === after.join() &&
      running.every((r) => r === "true") &&
      ready503 > 0 &&
      ready200 === 0 &&
      servingAfter <= 30;
    record({
      test: "Postgres stopped 20 s under load",
      goal: "no crash; /readyz 503 meanwhile; serving again ≤ 30 s after it is back",
      measured: `${samples.length} requests (${served} answered 200); api and worker kept running, 0 restarts; /readyz during the outage: ${ready503} × 503, ${ready200} × 200, ${outage.length - ready503 - ready200} other; serving again ${servingAfter.toFixed(1)} s after the start`,
      met,
    });
    expect(after).toEqual(before);
    expect(running).toEqual(["true", "true"]);
    expect(ready503).toBeGreaterThan(0);
    expect(ready200).toBe(0);
    expect(servingAfter).toBeLessThanOrEqual(30);
  });

  it("two `up` at once on one stack: the second is refused by the lock with a clear message; state intact", async () => {
    forcePostgresReplacement();
    const first = stack.start("up", [], "first up (replacing Postgres)");
    // The first holds the lock once its lock file exists in the backend.
    await waitUntil(
      "the first up holding the stack's lock",
      async () => sh("find", [stack.backendDir, "-path", "*/locks/*", "-name", "*.json"]).stdout.trim() !== "",
      60_000,
    );
    const second = await stack.run("up", [], "second up at the same time");
    stack.attempts.pop(); // meant to be refused
    const firstResult = await first.done;
    expect(firstResult.code, firstResult.output.slice(-3000)).toBe(0);
    const preview = await stack.run("preview", ["--expect-no-changes"], "preview after both");
    const lockMessage = second.output.match(/.*locked.*/)?.[0]?.trim() ?? "(no lock message)";
    record({
      test: "two `up` at once on one stack",
      goal: "the second refused by the lock with a clear message; state intact",
      measured: `second exit ${second.code} after ${second.seconds.toFixed(1)} s: "${lockMessage}"; first exit ${firstResult.code}; preview after: ${preview.code === 0 ? "no changes" : "changes"}`,
      met: second.code !== 0 && /locked/.test(second.output) && firstResult.code === 0 && preview.code === 0,
    });
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(/locked/);
    expect(preview.code, preview.output.slice(-3000)).toBe(0);
  });

  it("malformed stack config ×30: a clear error naming the key or the cause; 0 resources created or changed", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const heldPort = (holder.address() as net.AddressInfo).port;
    const missingImage = "localhost:1/confradar-missing/postgres:16";
    const cases: { config: Record<string, string>; names: RegExp }[] = [
      { config: { postgresPort: "abc" }, names: /confradar:postgresPort = "abc"/ },
      { config: { postgresPort: "70000" }, names: /confradar:postgresPort = "70000"/ },
      { config: { appPort: "-1" }, names: /confradar:appPort = "-1"/ },
      { config: { appPort: "3.5" }, names: /confradar:appPort = "3.5"/ },
      { config: { postgresMajorVersion: "14" }, names: /confradar:postgresMajorVersion = "14" must be at least 15/ },
      { config: { postgresMajorVersion: "19" }, names: /confradar:postgresMajorVersion = "19" must be at most 18/ },
      { config: { postgresMajorVersion: "sixteen" }, names: /confradar:postgresMajorVersion = "sixteen"/ },
      { config: { stopGraceSeconds: "5" }, names: /confradar:stopGraceSeconds = "5"/ },
      { config: { healthIntervalSeconds: "0" }, names: /confradar:healthIntervalSeconds = "0"/ },
      { config: { healthRetries: "1000" }, names: /confradar:healthRetries = "1000"/ },
      { config: { healthTimeoutSeconds: "abc" }, names: /confradar:healthTimeoutSeconds = "abc"/ },
      { config: { waitTimeoutSeconds: "1" }, names: /confradar:waitTimeoutSeconds = "1"/ },
      { config: { retainVolume: "maybe" }, names: /confradar:retainVolume = "maybe"/ },
      { config: { pgadminEnabled: "yes please" }, names: /confradar:pgadminEnabled = "yes please"/ },
      { config: { appPoolMax: "0" }, names: /confradar:appPoolMax = "0"/ },
      { config: { appPoolIdleTimeoutMs: "-5" }, names: /confradar:appPoolIdleTimeoutMs = "-5"/ },
      { config: { ingestIntervalSeconds: "1e9" }, names: /confradar:ingestIntervalSeconds = "1e9"/ },
      { config: { passwordVersion: "0" }, names: /confradar:passwordVersion = "0"/ },
      { config: { databaseName: "Conf-Radar" }, names: /confradar:databaseName = "Conf-Radar"/ },
      { config: { pgadminEmail: "not-an-email" }, names: /confradar:pgadminEmail = "not-an-email"/ },
      { config: { postgresSource: "cloud" }, names: /confradar:postgresSource = "cloud" must be one of docker, existing/ },
      { config: { postgresPrt: "5432" }, names: /confradar:postgresPrt: unknown key/ },
      { config: { appport: "3080" }, names: /confradar:appport: unknown key/ },
      {
        config: { healthTimeoutSeconds: "200" },
        names: /confradar:healthTimeoutSeconds = "200" must be at most 10 × healthIntervalSeconds/,
      },
      { config: { appPort: "56990", postgresPort: "56990" }, names: /must differ from/ },
      {
        config: { postgresSource: "existing" },
        names: /confradar:existingServerHost = \(unset\) is required with postgresSource = existing/,
      },
      {
        config: { existingServerHost: "db.example.com" },
        names: /confradar:existingServerHost: only used with confradar:postgresSource = existing/,
      },
      {
        config: { appPort: String(heldPort) },
        names: new RegExp(`confradar:appPort = ${heldPort}: 127\\.0\\.0\\.1:${heldPort} is already in use`),
      },
      {
        config: { postgresPort: String(heldPort) },
        names: new RegExp(`confradar:postgresPort = ${heldPort}: 127\\.0\\.0\\.1:${heldPort} is already in use`),
      },
      { config: { postgresImage: missingImage }, names: /localhost:1\/confradar-missing\/postgres:16/ },
    ];
    const stackFileBefore = readFileSync(stackFile, "utf8");
    const idsBefore = containerIds();
    const stateBefore = await stateResources();
    const unclear: string[] = [];
    const changed: string[] = [];
    try {
      for (const [i, c] of cases.entries()) {
        stack.setConfig(c.config);
        const up = await stack.run("up", [], `malformed config ${i + 1}: ${JSON.stringify(c.config)}`);
        stack.attempts.pop(); // meant to fail
        writeFileSync(stackFile, stackFileBefore);
        if (up.code === 0 || !c.names.test(up.output)) {
          unclear.push(`${JSON.stringify(c.config)} (exit ${up.code}): ${up.output.slice(-1500)}`);
        }
        if (containerIds() !== idsBefore) changed.push(JSON.stringify(c.config));
      }
    } finally {
      writeFileSync(stackFile, stackFileBefore);
      holder.close();
    }
    const stateChanges = stateDifferences(stateBefore, await stateResources());
    const preview = await stack.run("preview", ["--expect-no-changes"], "preview after the malformed configs");
    record({
      test: "malformed stack config ×30",
      goal: "a clear error naming the key or the cause; 0 resources created or changed",
      measured: `${cases.length - unclear.length}/${cases.length} refused naming the key or the cause; containers changed after ${changed.length}; state ${stateChanges.length === 0 ? "unchanged" : `changed: ${stateChanges.join(", ")}`}; preview after: ${preview.code === 0 ? "no changes" : "changes"}`,
      met: unclear.length === 0 && changed.length === 0 && stateChanges.length === 0 && preview.code === 0,
    });
    expect(unclear).toEqual([]);
    expect(changed).toEqual([]);
    expect(stateChanges).toEqual([]);
    expect(preview.code, preview.output.slice(-3000)).toBe(0);
  });

  it("the migration step's process killed mid-run ×20: 0 partially applied; the next `up` converges", async () => {
    // A migration slow enough to be killed inside: table, pause, rows, pause, index; one transaction.
    writeFileSync(
      slowMigrationFile,
      `import type { MigrationBuilder } from "node-pg-migrate";\n\n` +
        `export async function up(pgm: MigrationBuilder): Promise<void> {\n` +
        `  pgm.createTable("e2e_slow", { id: "id", n: { type: "integer", notNull: true } });\n` +
        `  pgm.sql("SELECT pg_sleep(1)");\n` +
        `  pgm.sql("INSERT INTO e2e_slow (n) SELECT g FROM generate_series(1, 1000) AS g");\n` +
        `  pgm.sql("SELECT pg_sleep(1)");\n` +
        `  pgm.createIndex("e2e_slow", "n");\n}\n\n` +
        `export async function down(pgm: MigrationBuilder): Promise<void> {\n  pgm.dropTable("e2e_slow");\n}\n`,
    );
    const migrator = url("migrator");
    const kills = 20;
    let applied = 0;
    let notApplied = 0;
    const partial: string[] = [];
    try {
      for (let i = 1; i <= kills; i++) {
        // Exactly what the migration provider runs (infra/providers/migrationStep.ts), killed
        // with SIGKILL at a random point: before it connects, under the lock, inside the migration.
        const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "infra", "steps", "migrate.ts"), "apply"], {
          cwd: repoRoot,
          env: { ...process.env, DATABASE_URL: migrator, MIGRATIONS_DIR: path.join(repoRoot, "migrations") },
          stdio: "ignore",
        });
        const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
        await sleep(between(300, 3500));
        child.kill("SIGKILL");
        await exited;
        // The server ends the killed session within client_connection_check_interval (250 ms).
        await waitUntil(
          "the killed migrator's session gone",
          async () =>
            (
              await query<{ n: number }>(
                migrator,
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()",
              )
            )[0]!.n === 0,
          30_000,
        );
        const [state] = await query<{ ledger: boolean; tableThere: boolean; indexed: boolean }>(
          migrator,
          `SELECT EXISTS (SELECT 1 FROM migration_ledger.pgmigrations WHERE name = $1) AS ledger,
                  to_regclass('public.e2e_slow') IS NOT NULL AS "tableThere",
                  EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'e2e_slow') AS indexed`,
          [slowMigration],
        );
        const tableThere = state!.tableThere;
        const rowCount = tableThere ? (await query<{ n: number }>(migrator, "SELECT count(*)::int AS n FROM e2e_slow"))[0]!.n : 0;
        const whole = state!.ledger && tableThere && rowCount === 1000 && state!.indexed;
        const none = !state!.ledger && !tableThere;
        if (whole) applied++;
        else if (none) notApplied++;
        else partial.push(`kill ${i}: ledger ${state!.ledger}, table ${tableThere}, ${rowCount} rows, index ${state!.indexed}`);
        if (state!.ledger) {
          const reverted = revertLastMigration(migrator);
          expect(reverted.status, reverted.stderr).toBe(0);
        }
      }
    } finally {
      rmSync(slowMigrationFile, { force: true });
    }
    const up = await stack.run("up", [], "up after the killed migration steps");
    const preview = await stack.run("preview", ["--expect-no-changes"], "preview after the killed migration steps");
    const ledger = await query<{ name: string }>(migrator, "SELECT name FROM migration_ledger.pgmigrations");
    record({
      test: "the migration step's process killed mid-run ×20",
      goal: "0 partially applied; the next `up` converges",
      measured: `${kills} kills: ${notApplied} left nothing, ${applied} had committed whole (reverted for the next), ${partial.length} partial; next up exit ${up.code}, preview ${preview.code === 0 ? "no changes" : "changes"}, ledger ${ledger.length}/${committedMigrations}`,
      met: partial.length === 0 && up.code === 0 && preview.code === 0 && ledger.length === committedMigrations,
    });
    expect(partial).toEqual([]);
    expect(notApplied).toBeGreaterThan(0);
    expect(up.code, up.output.slice(-3000)).toBe(0);
    expect(preview.code, preview.output.slice(-3000)).toBe(0);
    expect(ledger).toHaveLength(committedMigrations);
  });

  it("Postgres replaced ×10 and restarted ×10 while a client writes: 0 acknowledged rows lost; 0 anonymous volumes", async () => {
    const anonymousBefore = new Set(anonymousVolumes());
    await query(url("migrator"), "CREATE TABLE e2e_acknowledged (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
    await query(url("migrator"), "GRANT SELECT, INSERT ON e2e_acknowledged TO confradar_app");
    const writer = new AcknowledgedWriter(url("app"), 900_000);
    const replaced: number[] = [];
    try {
      await writer.progress();
      for (let i = 1; i <= 10; i++) {
        const before = containerId(postgres);
        forcePostgresReplacement();
        await stack.must("up", [], `replace ${i}/10 under writes`);
        if (containerId(postgres) !== before) replaced.push(i);
        await writer.progress();
      }
      for (let i = 1; i <= 10; i++) {
        expect(sh("docker", ["restart", postgres]).status).toBe(0);
        await writer.progress();
      }
    } finally {
      await writer.stop();
    }
    const present = new Set(
      (await query<{ id: string }>(url("app"), "SELECT id FROM e2e_acknowledged")).map((r) => Number(r.id)),
    );
    const lost = writer.acknowledged.filter((id) => !present.has(id));
    const newAnonymous = anonymousVolumes().filter((v) => !anonymousBefore.has(v));
    await query(url("migrator"), "DROP TABLE e2e_acknowledged");
    record({
      test: "Postgres replaced ×10 and restarted ×10 under writes",
      goal: "0 acknowledged rows lost; 0 anonymous volumes",
      measured: `${replaced.length}/10 replaced, 10/10 restarted; ${writer.acknowledged.length} rows acknowledged, ${lost.length} lost; ${writer.errors} failed writes (retried); ${newAnonymous.length} anonymous volumes`,
      met: replaced.length === 10 && lost.length === 0 && newAnonymous.length === 0,
    });
    expect(replaced).toHaveLength(10);
    expect(lost).toEqual([]);
    expect(newAnonymous).toEqual([]);
  });

  it("`up` killed inside a Postgres replacement (old server removed, new one created, not started): `refresh` and `up` converge", async () => {
    // The narrowest of the random kill points below, made on purpose: the plugin had asked Docker to
    // remove the old server and to create the new one, and was killed before it started it. The
    // server is down, so the roles cannot be read, and the new container holds the server's name.
    forcePostgresReplacement();
    const anonymousBefore = new Set(anonymousVolumes());
    const image = sh("docker", ["inspect", "--format", "{{.Config.Image}}", postgres]).stdout.trim();
    // The new container mounts the stack's data volume, as the plugin's create does.
    const dataVolume = sh("docker", [
      "inspect",
      "--format",
      '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}:{{.Destination}}{{end}}{{end}}',
      postgres,
    ]).stdout.trim();
    expect(dataVolume).toMatch(/^confradar-e2e-faults-pgdata:/);
    expect(sh("docker", ["rm", "--force", postgres]).status).toBe(0);
    const created = sh("docker", [
      "create",
      "--name",
      postgres,
      "--label",
      label,
      "--label",
      "com.confradar.role=postgres",
      "--volume",
      dataVolume,
      image,
    ]);
    expect(created.status, created.stderr).toBe(0);
    const refresh = await stack.run("refresh", [], "refresh with the server removed and its replacement not started");
    const strayLeft = containerId(postgres) === created.stdout.trim();
    const up = await stack.run("up", [], "up after that refresh");
    const preview = await stack.run("preview", ["--expect-no-changes"], "preview after that up");
    const newAnonymous = anonymousVolumes().filter((v) => !anonymousBefore.has(v));
    record({
      test: "`up` killed between the old server's removal and the new one's start",
      goal: "`refresh` and `up` exit 0; the unstarted container removed; a clean `preview`",
      measured: `refresh exit ${refresh.code}, unstarted container ${strayLeft ? "left" : "removed"}, up exit ${up.code}, preview ${preview.code === 0 ? "no changes" : "changes"}, server ${health(postgres)}, ${newAnonymous.length} anonymous volumes`,
      met: refresh.code === 0 && !strayLeft && up.code === 0 && preview.code === 0 && newAnonymous.length === 0,
    });
    expect(refresh.code, refresh.output.slice(-3000)).toBe(0);
    expect(refresh.output).toMatch(/PostgreSQL container is not running/);
    expect(strayLeft).toBe(false);
    expect(up.code, up.output.slice(-3000)).toBe(0);
    expect(preview.code, preview.output.slice(-3000)).toBe(0);
    expect(health(postgres)).toBe("healthy");
    expect(newAnonymous).toEqual([]);
  });

  it("`up` killed at random points ×10, then `cancel`, `refresh`, `up`: 10/10 converge to a clean `preview`; 0 orphans", async () => {
    const outcomes: string[] = [];
    let converged = 0;
    let orphans = 0;
    for (let i = 1; i <= 10; i++) {
      if (i % 2 === 1) forcePostgresReplacement();
      else forceAppReplacement();
      const delay = between(1000, 20_000);
      const started = stack.start("up", [], `up ${i}/10, killed at ${(delay / 1000).toFixed(1)} s`);
      const killed = await started.kill(delay);
      const killedUp = await started.done;
      stack.attempts.pop();
      // The documented recovery (docs/troubleshooting.md, "A stuck lock after an interrupted up").
      const cancel = await stack.pulumi(["cancel", "--yes", "--stack", stackName]).then(
        () => ({ code: 0 }),
        () => ({ code: 1 }),
      );
      const refresh = await stack.run("refresh", [], `refresh after kill ${i}`);
      const up = await stack.run("up", [], `up after kill ${i}`);
      const preview = await stack.run("preview", ["--expect-no-changes"], `preview after kill ${i}`);
      const containers = labelled("ps");
      const networks = labelled("network");
      const extra = [
        ...containers.filter((c) => !expectedContainers.includes(c)),
        ...networks.filter((n) => !expectedNetworks.includes(n)),
      ];
      orphans += extra.length;
      const ok = up.code === 0 && preview.code === 0 && containers.join() === expectedContainers.join() && extra.length === 0;
      if (ok) converged++;
      outcomes.push(
        `kill ${i} at ${(delay / 1000).toFixed(1)} s (${killed ? "mid-run" : "after it ended"}): cancel ${cancel.code}, refresh ${refresh.code}, up ${up.code}, preview ${preview.code}${extra.length ? `, orphans ${extra.join(" ")}` : ""}`,
      );
      console.log(`[e2e faults] ${outcomes.at(-1)}`);
      if (!ok) {
        const file = path.join(artifactsDir, `faults-kill-${i}.log`);
        mkdirSync(artifactsDir, { recursive: true });
        writeFileSync(file, [killedUp.output, refresh.output, up.output, preview.output].join("\n\n=====\n\n"));
        // The tails go to the console too: CI's log is often all there is to read.
        const tails = [killedUp, refresh, up, preview].map((r) => r.output.trim().split("\n").slice(-15).join("\n"));
        console.log(
          `[e2e faults] kill ${i} did not converge; the four commands' output: ${file}\n` +
            `docker: ${containerIds()}\n${["killed up", "refresh", "up", "preview"].map((name, k) => `--- ${name}:\n${tails[k]}`).join("\n")}`,
        );
      }
    }
    record({
      test: "`up` killed at random points ×10, then `cancel`, `refresh`, `up`",
      goal: "10/10 converge to a clean `preview`; 0 orphaned containers or networks",
      measured: `${converged}/10 converged; ${orphans} orphans; ${outcomes.filter((o) => o.includes("mid-run")).length}/10 killed mid-run`,
      met: converged === 10 && orphans === 0,
    });
    expect(outcomes.filter((o) => !/up 0, preview 0$/.test(o))).toEqual([]);
    expect(orphans).toBe(0);
  });
});

/** Reverts the last migration with the project's CLI, as the migrator (the URL in the environment, never in argv). */
function revertLastMigration(migrator: string): { status: number | null; stderr: string } {
  const result = spawnSync("npm", ["run", "-s", "migrate:down"], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: migrator },
  });
  return { status: result.status, stderr: result.stderr };
}
