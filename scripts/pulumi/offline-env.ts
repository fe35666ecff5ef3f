import { existsSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { repoRoot } from "../../app/src/paths.js";

export { repoRoot };

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

/** Facts about this installation that the environment of a Pulumi command carries. */
export interface PulumiRuntimeFacts {
  /** The CLI version to run (cliVersion()): passed to the npm launcher as PULUMI_VERSION unless already set. */
  readonly cliVersion?: string;
  /**
   * The directory of the Node.js running this process (dirname of process.execPath), put first on
   * PATH: the language host and the dynamic-provider plugin start `node` from PATH, so the Pulumi
   * program and its dynamic providers run on the same, checked Node as the command that started them.
   */
  readonly nodeBinDir?: string;
}

/**
 * The environment for a Pulumi command, computed without side effects: `base` (usually
 * process.env) with the offline switches forced on, PULUMI_BACKEND_URL defaulting to the local file
 * backend unless already set, PULUMI_VERSION and PATH from `facts`, and `overrides` applied last.
 * PULUMI_HOME passes through as given.
 */
export function buildOfflineEnv(
  base: NodeJS.ProcessEnv,
  overrides: NodeJS.ProcessEnv = {},
  root: string = repoRoot,
  facts: PulumiRuntimeFacts = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...OFFLINE_SWITCHES };
  if (!env.PULUMI_BACKEND_URL) env.PULUMI_BACKEND_URL = defaultBackendUrl(root);
  if (facts.cliVersion && !env.PULUMI_VERSION) env.PULUMI_VERSION = facts.cliVersion;
  if (facts.nodeBinDir) env.PATH = withFirstOnPath(facts.nodeBinDir, env.PATH);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** PATH with `dir` first (and not repeated later). */
export function withFirstOnPath(dir: string, pathValue: string | undefined): string {
  const rest = (pathValue ?? "").split(path.delimiter).filter((entry) => entry !== "" && entry !== dir);
  return [dir, ...rest].join(path.delimiter);
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
 * process.env, with this installation's CLI version and this process's Node. Creates the file
 * backend's directory when missing.
 */
export function offlinePulumiEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  let version: string | undefined;
  try {
    version = cliVersion();
  } catch {
    version = undefined; // before `npm ci`: the commands report the missing node_modules themselves
  }
  const env = buildOfflineEnv(process.env, overrides, repoRoot, {
    cliVersion: version,
    nodeBinDir: path.dirname(process.execPath),
  });
  const dir = fileBackendDir(env.PULUMI_BACKEND_URL ?? "");
  if (dir && !existsSync(dir)) mkdirSync(dir, { recursive: true });
  return env;
}

/** $PULUMI_HOME, defaulting like the CLI to ~/.pulumi. */
export function pulumiHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
}

/**
 * The CLI version the project builds and runs: the version of the @pulumi/pulumi SDK in
 * node_modules. The SDK and the CLI are released together at one version; the npm launcher
 * `pulumi` only starts the CLI, told which by PULUMI_VERSION (its own version lags behind, and the
 * Go module proxy serves no CLI for some of its versions).
 */
export function cliVersion(root: string = repoRoot): string {
  const file = path.join(root, "node_modules", "@pulumi", "pulumi", "package.json");
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
    version = cliVersion(root);
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
