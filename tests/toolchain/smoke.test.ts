// The real Pulumi engine, built here by scripts/toolchain/install, driven through the Automation API
// with the project's offline environment, against the Docker engine and the locally built postgres
// image. Every prerequisite that is missing fails the test with the script that provides it.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation/index.js";
import pg from "pg";
import * as semver from "semver";
import { afterAll, describe, expect, it } from "vitest";
import { cliInstallRoot, launcherVersion, offlinePulumiEnv, repoRoot, toolchainProblems } from "../../scripts/pulumi/offline-env.js";
import localImages from "../../images/local-images.json" with { type: "json" };

const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = "org.confradar.smoke-run";

function sh(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? r.error?.message ?? "" };
}

function requireDocker(): void {
  const r = sh("docker", ["info", "--format", "{{.ServerVersion}}"]);
  if (r.status !== 0) throw new Error(`No Docker engine answers (${r.stderr.trim()}): run \`bash scripts/docker/ensure-engine\``);
}

function requireToolchain(): void {
  const problems = toolchainProblems();
  if (problems.length > 0) throw new Error(`The Pulumi toolchain is not installed:\n${problems.join("\n")}`);
}

function requireImage(tag: string): void {
  if (sh("docker", ["image", "inspect", tag]).status !== 0) {
    throw new Error(`The local image ${tag} is missing: run \`bash scripts/images/build\``);
  }
}

function requirePlugins(env: NodeJS.ProcessEnv, wanted: Record<string, string>): void {
  const cli = path.join(cliInstallRoot(launcherVersion(), env), "bin", "pulumi");
  const r = spawnSync(cli, ["plugin", "ls", "--json"], { encoding: "utf8", env });
  const installed = (JSON.parse(r.stdout || "[]") as { name: string; kind: string; version: string }[]).filter((p) => p.kind === "resource");
  const missing = Object.entries(wanted).filter(([name, version]) => !installed.some((p) => p.name === name && p.version === version));
  if (missing.length > 0) {
    throw new Error(
      `Pulumi resource plugins missing: ${missing.map(([n, v]) => `${n} v${v}`).join(", ")}: run \`bash scripts/toolchain/install providers\` ` +
        `(docs/offline.md says why the Go module proxy may not serve them)`,
    );
  }
}

async function freeLoopbackPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway CommonJS program beside a node_modules link to the repository's packages. */
function writeProgram(name: string, dependencies: string[], source: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `confradar-${name}-`));
  writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n`);
  const deps = Object.fromEntries(dependencies.map((d) => [d, "*"]));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, type: "commonjs", main: "index.js", dependencies: deps }));
  writeFileSync(path.join(dir, "index.js"), source);
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  mkdirSync(path.join(dir, "state"));
  return dir;
}

async function openStack(dir: string, stackName: string, config: Record<string, { value: string; secret?: boolean }>) {
  const env = offlinePulumiEnv({
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: `smoke-${runId}`,
  });
  const version = launcherVersion();
  const pulumiCommand = await PulumiCommand.get({ root: cliInstallRoot(version, env), version: semver.parse(version) ?? undefined });
  const envVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, workDir: dir },
    { pulumiCommand, envVars, secretsProvider: "passphrase" },
  );
  await stack.setAllConfig(config);
  return { stack, env };
}

async function destroyAndRemove(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.destroy({ onOutput: () => {} });
  await stack.workspace.removeStack(stack.name);
}

describe("Pulumi engine built here (CLI, Node.js language host, dynamic providers, file backend)", () => {
  let dir = "";
  let stack: Stack | undefined;

  afterAll(async () => {
    try {
      await destroyAndRemove(stack);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs up twice (second time no changes) and destroy, offline, secrets encrypted in state", async () => {
    requireToolchain();
    dir = writeProgram(
      "confradar-engine-smoke",
      ["@pulumi/pulumi"],
      `const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config();
const provider = {
  async create(inputs) { return { id: "word-" + inputs.word, outs: { word: inputs.word, length: inputs.word.length } }; },
};
class Word extends pulumi.dynamic.Resource {
  constructor(name, args, opts) { super(provider, name, { length: undefined, ...args }, opts); }
}
const word = new Word("word", { word: config.require("word") });
exports.length = word.length;
exports.token = config.requireSecret("token");
`,
    );
    ({ stack } = await openStack(dir, "smoke", { word: { value: "radar" }, token: { value: `t-${runId}`, secret: true } }));
    const first = await stack.up({ onOutput: () => {} });
    expect(first.summary.result).toBe("succeeded");
    expect(first.outputs.length?.value).toBe(5);
    expect(first.outputs.token?.secret).toBe(true);
    expect(first.summary.resourceChanges?.create).toBe(2); // the stack and the dynamic resource

    const second = await stack.up({ onOutput: () => {} });
    expect(second.summary.resourceChanges).toEqual({ same: 2 });

    // The checkpoint file itself (exportStack would decrypt): the secret is there only encrypted.
    const checkpoint = readFileSync(path.join(dir, "state", ".pulumi", "stacks", "confradar-engine-smoke", "smoke.json"), "utf8");
    expect(checkpoint).toContain('"length":5');
    expect(checkpoint).not.toContain(`t-${runId}`);

    const destroyed = await stack.destroy({ onOutput: () => {} });
    expect(destroyed.summary.resourceChanges?.delete).toBe(2);
  });
});

describe("docker, random and postgresql providers against the local postgres image", () => {
  let dir = "";
  let stack: Stack | undefined;
  let port = 0;

  afterAll(async () => {
    try {
      await destroyAndRemove(stack);
    } finally {
      // Whatever a failed run left behind, by the label unique to this run.
      for (const [kind, rm] of [["ps -aq", "rm -f"], ["network ls -q", "network rm"], ["volume ls -q", "volume rm -f"]] as const) {
        const ids = sh("docker", [...kind.split(" "), "--filter", `label=${label}=${runId}`]).stdout.split("\n").filter(Boolean);
        if (ids.length > 0) sh("docker", [...rm.split(" "), ...ids]);
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates the container, logs in as the role over 127.0.0.1, and destroy leaves nothing behind", async () => {
    requireDocker();
    requireToolchain();
    requireImage(localImages.postgres);
    dir = writeProgram(
      "confradar-provider-smoke",
      ["@pulumi/pulumi", "@pulumi/docker", "@pulumi/random", "@pulumi/postgresql"],
      `const pulumi = require("@pulumi/pulumi");
const docker = require("@pulumi/docker");
const random = require("@pulumi/random");
const postgresql = require("@pulumi/postgresql");
const config = new pulumi.Config();
const runId = config.require("runId");
const port = config.requireNumber("port");
const labels = [{ label: "${label}", value: runId }];
const network = new docker.Network("net", { name: "confradar-smoke-" + runId, labels });
const volume = new docker.Volume("data", { name: "confradar-smoke-" + runId, labels });
const superuserPassword = new random.RandomPassword("superuser", { length: 24, special: false });
const rolePassword = new random.RandomPassword("role", { length: 24, special: false });
const server = new docker.Container("postgres", {
  name: "confradar-smoke-" + runId,
  image: config.require("image"),
  envs: [pulumi.interpolate\`POSTGRES_PASSWORD=\${superuserPassword.result}\`],
  ports: [{ internal: 5432, external: port, ip: "127.0.0.1" }],
  volumes: [{ volumeName: volume.name, containerPath: "/var/lib/postgresql/data" }],
  networksAdvanced: [{ name: network.name }],
  labels,
  healthcheck: { tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "postgres"], interval: "1s", timeout: "3s", retries: 60, startPeriod: "1s" },
  wait: true,
  waitTimeout: 120,
  stopSignal: "SIGINT",
  destroyGraceSeconds: 60,
}, { deleteBeforeReplace: true });
const admin = new postgresql.Provider("admin", {
  host: "127.0.0.1", port, username: "postgres", password: superuserPassword.result, sslmode: "disable", superuser: true, connectTimeout: 15,
}, { dependsOn: [server] });
const role = new postgresql.Role("smoke", { name: "smoke_login", login: true, password: rolePassword.result }, { provider: admin });
exports.roleName = role.name;
exports.rolePassword = rolePassword.result;
`,
    );
    port = await freeLoopbackPort();
    const opened = await openStack(dir, "smoke", {
      runId: { value: runId },
      port: { value: String(port) },
      image: { value: localImages.postgres },
    });
    stack = opened.stack;
    requirePlugins(opened.env, { docker: "5.2.0", random: "4.21.2", postgresql: "3.18.1" });
    const up = await stack!.up({ onOutput: () => {} });
    expect(up.summary.result).toBe("succeeded");
    const roleName = up.outputs.roleName?.value as string;
    const password = up.outputs.rolePassword?.value as string;
    expect(up.outputs.rolePassword?.secret).toBe(true);

    const client = new pg.Client({ host: "127.0.0.1", port, user: roleName, password, database: "postgres", connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ who: string; super: boolean }>(
        "select current_user as who, rolsuper as super from pg_roles where rolname = current_user",
      );
      expect(rows).toEqual([{ who: roleName, super: false }]);
    } finally {
      await client.end();
    }

    const destroyed = await stack!.destroy({ onOutput: () => {} });
    expect(destroyed.summary.result).toBe("succeeded");
    for (const kind of [["ps", "-aq"], ["network", "ls", "-q"], ["volume", "ls", "-q"]]) {
      expect(sh("docker", [...kind, "--filter", `label=${label}=${runId}`]).stdout.trim()).toBe("");
    }
  });
});
