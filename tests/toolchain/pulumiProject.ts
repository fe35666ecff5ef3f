import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation/index.js";
import * as semver from "semver";
import {
  cliInstallRoot,
  launcherVersion,
  offlinePulumiEnv,
  repoRoot,
  toolchainProblems,
} from "../../scripts/pulumi/offline-env.js";
export { freeLoopbackPort } from "../../scripts/net/freeLoopbackPort.js";

/** Shared by the toolchain tests: prerequisites, throwaway Pulumi projects and Docker clean-up. */

export function sh(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? r.error?.message ?? "" };
}

export function requireDocker(): void {
  const r = sh("docker", ["info", "--format", "{{.ServerVersion}}"]);
  if (r.status !== 0) throw new Error(`No Docker engine answers (${r.stderr.trim()}): run \`bash scripts/docker/ensure-engine\``);
}

export function requireToolchain(): void {
  const problems = toolchainProblems();
  if (problems.length > 0) throw new Error(`The Pulumi toolchain is not installed:\n${problems.join("\n")}`);
}

export function requireImage(tag: string): void {
  if (sh("docker", ["image", "inspect", tag]).status !== 0) {
    throw new Error(`The local image ${tag} is missing: run \`bash scripts/images/build\``);
  }
}

/** Removes the containers, networks and volumes carrying LABEL=VALUE. */
export function removeLabelled(label: string, value: string): void {
  for (const [list, rm] of [
    ["ps -aq", "rm -f -v"], // -v: the anonymous volumes the images declare go too
    ["network ls -q", "network rm"],
    ["volume ls -q", "volume rm -f"],
  ] as const) {
    const ids = sh("docker", [...list.split(" "), "--filter", `label=${label}=${value}`])
      .stdout.split("\n")
      .filter(Boolean);
    if (ids.length > 0) sh("docker", [...rm.split(" "), ...ids]);
  }
}

/**
 * Starts the local postgres image detached (labelled for clean-up) and waits until it answers over
 * TCP inside the container, the readiness the infra's health check uses. Returns the container name.
 */
export async function startLocalPostgres(options: {
  image: string;
  name: string;
  label: string;
  runArgs: string[];
}): Promise<string> {
  const started = sh("docker", [
    "run",
    "-d",
    "--name",
    options.name,
    "--label",
    options.label,
    ...options.runArgs,
    options.image,
  ]);
  if (started.status !== 0) throw new Error(`could not start ${options.name}: ${started.stderr}`);
  const deadline = Date.now() + 90_000;
  while (sh("docker", ["exec", options.name, "pg_isready", "-h", "127.0.0.1", "-q"]).status !== 0) {
    if (Date.now() > deadline)
      throw new Error(`${options.name} never became ready: ${sh("docker", ["logs", options.name]).stderr}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return options.name;
}

export interface ThrowawayProject {
  /** The project's directory; its file backend is `state/` inside it. */
  dir: string;
  stack: Stack;
  remove(): Promise<void>;
}

/**
 * A Pulumi project in a temporary directory with its own file backend and passphrase, run by the
 * CLI built here with the project's offline settings. Either `main` is a TypeScript program in the
 * repository (absolute path; it resolves the repository's node_modules and ESM settings), or
 * `commonJsSource` is a small CommonJS program written beside a link to the repository's node_modules.
 */
export async function throwawayProject(options: {
  name: string;
  stackName: string;
  config: Record<string, { value: string; secret?: boolean }>;
  main?: string;
  commonJsSource?: string;
}): Promise<ThrowawayProject> {
  const dir = mkdtempSync(path.join(tmpdir(), `${options.name}-`));
  if (options.commonJsSource !== undefined) {
    writeFileSync(path.join(dir, "index.js"), options.commonJsSource);
    writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: options.name, private: true, type: "commonjs", main: "index.js" }),
    );
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  }
  const typescript = options.commonJsSource === undefined;
  const main = typescript ? options.main : "index.js";
  if (!main) throw new Error("throwawayProject needs `main` or `commonJsSource`");
  writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${options.name}\nruntime:\n  name: nodejs\n  options:\n    typescript: ${typescript}\nmain: ${main}\n`,
  );
  mkdirSync(path.join(dir, "state"));
  const env = offlinePulumiEnv({
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: `throwaway-${process.pid}`,
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
  });
  const version = launcherVersion();
  const pulumiCommand = await PulumiCommand.get({
    root: cliInstallRoot(version, env),
    version: semver.parse(version) ?? undefined,
  });
  const envVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: options.stackName, workDir: dir },
    { pulumiCommand, envVars, secretsProvider: "passphrase" },
  );
  await stack.setAllConfig(options.config);
  return {
    dir,
    stack,
    async remove() {
      try {
        await stack.destroy({ onOutput: () => {} });
        await stack.workspace.removeStack(stack.name);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
