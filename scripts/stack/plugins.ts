/**
 * Which provider plugins a stack command runs with: each official plugin (docker, postgresql,
 * random) where it is installed or can be installed, else ConfRadar's offline plugin of that name
 * (offline/plugins). CONFRADAR_PLUGINS=official|offline|auto (default auto) forces a set.
 *
 * The offline plugins are put first on PATH for that one command, where the engine looks before
 * its plugin cache; they are never installed into the cache under the official name and version,
 * where they would shadow the official plugin on every later run.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { sdkPluginVersion } from "../../offline/plugins/core/versions.js";

export type PluginSetting = "official" | "offline" | "auto";
export const PLUGIN_NAMES = ["docker", "postgresql", "random"] as const;

export function parsePluginSetting(value: string | undefined): PluginSetting {
  if (value === undefined || value === "" || value === "auto") return "auto";
  if (value === "official" || value === "offline") return value;
  throw new Error(`CONFRADAR_PLUGINS="${value}" is not understood: use "official", "offline" or "auto" (the default)`);
}

/** The resource plugins the SDKs in node_modules ask for, by name, at the versions they name. */
export function requiredPlugins(): Record<string, string> {
  return Object.fromEntries(PLUGIN_NAMES.map((name) => [name, sdkPluginVersion(name)]));
}

/** Which of `required` are not in `installed` (name and exact version). */
export function missingPlugins(
  required: Record<string, string>,
  installed: { name: string; kind: string; version: string }[],
): string[] {
  return Object.entries(required)
    .filter(([name, version]) => !installed.some((p) => p.kind === "resource" && p.name === name && p.version === version))
    .map(([name, version]) => `${name} ${version}`);
}

/** The folder of the offline plugins' launchers (pulumi-resource-docker, ...). */
export function offlinePluginDir(root: string): string {
  return path.join(root, "offline", "plugins", "bin");
}

/**
 * The folder to put first on PATH for `offline` plugins: the launchers' own folder when all three
 * run offline, else a folder (under .cache/, gitignored) of links to just those, so the engine
 * still takes the others from its cache.
 */
export function offlinePluginPath(root: string, offline: readonly string[]): string {
  if (PLUGIN_NAMES.every((name) => offline.includes(name))) return offlinePluginDir(root);
  const dir = path.join(root, ".cache", "offline-plugins", [...offline].sort().join("-"));
  mkdirSync(dir, { recursive: true });
  for (const name of offline) {
    const link = path.join(dir, `pulumi-resource-${name}`);
    if (!existsSync(link)) symlinkSync(path.join(offlinePluginDir(root), `pulumi-resource-${name}`), link);
  }
  return dir;
}

/** The environment that makes the engine start the named offline plugins: their folder first on PATH. */
export function offlinePluginEnv(
  root: string,
  env: NodeJS.ProcessEnv,
  offline: readonly string[] = PLUGIN_NAMES,
): NodeJS.ProcessEnv {
  if (offline.length === 0) return env;
  return { ...env, PATH: [offlinePluginPath(root, offline), env.PATH ?? ""].filter(Boolean).join(path.delimiter) };
}

export interface PluginChoice {
  /** The plugins that run offline (by name); the others are the official ones. */
  offline: string[];
  /** One line for the user: which plugins run and why. */
  message: string;
}

/**
 * The decision, from the setting and the plugins ("name version") still missing once installing
 * was tried. Pure. `official` with plugins missing is an error naming them; `auto` runs the offline
 * plugin for each missing one.
 */
export function decidePlugins(setting: PluginSetting, missing: string[], installError?: string): PluginChoice {
  if (setting === "offline")
    return {
      offline: [...PLUGIN_NAMES],
      message: "Provider plugins: ConfRadar's offline docker, postgresql and random plugins (CONFRADAR_PLUGINS=offline).",
    };
  if (missing.length === 0)
    return {
      offline: [],
      message: `Provider plugins: the official docker, postgresql and random plugins${setting === "official" ? " (CONFRADAR_PLUGINS=official)" : ""}.`,
    };
  if (setting === "official")
    throw new Error(
      `CONFRADAR_PLUGINS=official, but these official plugins are missing and could not be installed: ${missing.join(", ")}` +
        `${installError ? ` (${installError})` : ""}. Unset CONFRADAR_PLUGINS to use the offline plugins, or install them with ` +
        `\`npm run pulumi -- plugin install resource NAME VERSION\` where the Pulumi download site answers.`,
    );
  const offline = PLUGIN_NAMES.filter((name) => missing.some((m) => m.split(" ")[0] === name));
  const official = PLUGIN_NAMES.filter((name) => !offline.includes(name));
  return {
    offline,
    message:
      `Provider plugins: ConfRadar's offline ${offline.join(", ")}${official.length ? ` and the official ${official.join(", ")}` : ""} ` +
      `(the official ${missing.join(", ")} could not be installed here; CONFRADAR_PLUGINS=official|offline|auto chooses).`,
  };
}

/** Runs `pulumi plugin install resource NAME VERSION` for each missing plugin, side by side; the first error line. */
export async function installOfficialPlugins(
  launcher: string,
  missing: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ failed: string[]; error?: string }> {
  const results = await Promise.all(
    missing.map(
      (plugin) =>
        new Promise<{ plugin: string; ok: boolean; error: string }>((resolve) => {
          const [name, version] = plugin.split(" ");
          // Acquisition is allowed for this one command: the switch that keeps the engine from
          // downloading during `up` stays on for every other one.
          const child = spawn(launcher, ["plugin", "install", "resource", name!, version!], {
            env: { ...env, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "false" },
            stdio: ["ignore", "ignore", "pipe"],
          });
          let stderr = "";
          child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
          const timer = setTimeout(() => child.kill("SIGTERM"), 120_000);
          child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ plugin, ok: code === 0, error: stderr.trim().split("\n").pop() ?? "" });
          });
          child.on("error", (error) => resolve({ plugin, ok: false, error: error.message }));
        }),
    ),
  );
  const failed = results.filter((r) => !r.ok);
  return { failed: failed.map((r) => r.plugin), ...(failed[0] ? { error: failed[0].error.replace(/^error: /, "") } : {}) };
}
