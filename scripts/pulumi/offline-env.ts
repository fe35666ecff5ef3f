import { existsSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (this file is scripts/pulumi/offline-env.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Switches that keep every Pulumi command of the project from reaching the internet: no update
 * check, no plugin downloads (a missing plugin is an error naming it), no Pulumi Registry look-ups.
 */
export const OFFLINE_SWITCHES: Readonly<Record<string, string>> = Object.freeze({
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_DISABLE_REGISTRY_RESOLVE: "true",
});

/** The local file backend: state stays in <repo>/.pulumi-state (gitignored), never in Pulumi Cloud. */
export function defaultBackendUrl(root: string = repoRoot): string {
  return pathToFileURL(path.join(root, ".pulumi-state")).href;
}

/**
 * The environment for a Pulumi command, computed without side effects: `base` (usually
 * process.env) with the offline switches forced on, PULUMI_BACKEND_URL defaulting to the local file
 * backend unless already set, and `overrides` applied last. PULUMI_HOME passes through as given.
 */
export function buildOfflineEnv(
  base: NodeJS.ProcessEnv,
  overrides: NodeJS.ProcessEnv = {},
  root: string = repoRoot,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...OFFLINE_SWITCHES };
  if (!env.PULUMI_BACKEND_URL) env.PULUMI_BACKEND_URL = defaultBackendUrl(root);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** The directory of a file:// backend URL, or undefined for any other backend. */
export function fileBackendDir(backendUrl: string): string | undefined {
  if (!backendUrl.startsWith("file://")) return undefined;
  // file://~ is the CLI's shorthand for the home directory.
  if (backendUrl === "file://~" || backendUrl.startsWith("file://~/"))
    return path.join(os.homedir(), backendUrl.slice("file://~".length));
  return fileURLToPath(backendUrl);
}

/**
 * The environment every Pulumi command of the project runs with (see buildOfflineEnv), based on
 * process.env. Creates the file backend's directory when missing.
 */
export function offlinePulumiEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = buildOfflineEnv(process.env, overrides);
  const dir = fileBackendDir(env.PULUMI_BACKEND_URL ?? "");
  if (dir && !existsSync(dir)) mkdirSync(dir, { recursive: true });
  return env;
}

/** $PULUMI_HOME, defaulting like the CLI to ~/.pulumi. */
export function pulumiHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
}

/** The CLI version the project uses: the version of the npm launcher `pulumi` in node_modules. */
export function launcherVersion(root: string = repoRoot): string {
  const file = path.join(root, "node_modules", "pulumi", "package.json");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm ci\` first.`);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** Where scripts/toolchain/install puts the CLI, and where the npm launcher looks for it. */
export function cliInstallRoot(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(pulumiHome(env), "versions", version);
}

export const INSTALL_HINT = "run `bash scripts/toolchain/install` (it builds the Pulumi CLI and language host from Go modules)";

/** Problems that stop Pulumi from running offline here; empty when the CLI and language host are installed. */
export function toolchainProblems(env: NodeJS.ProcessEnv = process.env, root: string = repoRoot): string[] {
  let version: string;
  try {
    version = launcherVersion(root);
  } catch (error) {
    return [(error as Error).message];
  }
  const bin = path.join(cliInstallRoot(version, env), "bin");
  const problems: string[] = [];
  for (const exe of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) {
    if (!existsSync(path.join(bin, exe))) problems.push(`${path.join(bin, exe)} is missing: ${INSTALL_HINT}`);
  }
  return problems;
}
