import { readdirSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dockerPlugin } from "../../offline/plugins/docker/plugin.js";
import { postgresqlPlugin } from "../../offline/plugins/postgresql/plugin.js";
import { randomPlugin } from "../../offline/plugins/random/plugin.js";
import { chooseImageMode, localImageConfig, namesOwnRegistry } from "../../scripts/stack/images.js";
import { toShellExports } from "../../scripts/stack/shellExports.js";
import {
  decidePlugins,
  missingPlugins,
  offlinePluginEnv,
  offlinePluginPath,
  parsePluginSetting,
  PLUGIN_NAMES,
  requiredPlugins,
} from "../../scripts/stack/plugins.js";
import { DEV_PASSPHRASE, passphraseFor, repoRoot } from "../../scripts/stack/stack.js";

describe("image selection", () => {
  it("follows CONFRADAR_IMAGES when set, and otherwise prefers what Docker already has", () => {
    expect(chooseImageMode("official", false, true)).toBe("official");
    expect(chooseImageMode("local", true, true)).toBe("local");
    expect(chooseImageMode(undefined, true, true)).toBe("official");
    expect(chooseImageMode(undefined, false, true)).toBe("local");
    expect(chooseImageMode(undefined, false, false)).toBe("official");
    expect(() => chooseImageMode("docker-hub", true, true)).toThrow(/CONFRADAR_IMAGES="docker-hub" is not understood/);
  });

  it("points the image keys and the major version at the local images", () => {
    expect(localImageConfig({ postgres: "confradar-local/postgres:15-bookworm", node: "n:20", pgadmin: "p:9" })).toEqual({
      "confradar:postgresImage": "confradar-local/postgres:15-bookworm",
      "confradar:postgresMajorVersion": "15",
      "confradar:appNodeImage": "n:20",
      "confradar:pgadminImage": "p:9",
    });
    expect(() => localImageConfig({ postgres: "pg:latest", node: "n", pgadmin: "p" })).toThrow(/major version/);
  });

  it("keeps an image the stack file takes from a registry of its own, with its major version", () => {
    const images = { postgres: "confradar-local/postgres:16-bookworm", node: "n:24", pgadmin: "p:9" };
    const own = { "confradar:postgresImage": "registry.example.com/pg:17", "confradar:postgresMajorVersion": "17" };
    expect(localImageConfig(images, own)).toEqual({ "confradar:appNodeImage": "n:24", "confradar:pgadminImage": "p:9" });
    // A Docker Hub name is what the local build stands in for.
    expect(localImageConfig(images, { "confradar:postgresImage": "postgres:16-alpine" })).toHaveProperty(
      "confradar:postgresImage",
      "confradar-local/postgres:16-bookworm",
    );
    expect(namesOwnRegistry("localhost:5000/app:1")).toBe(true);
    expect(namesOwnRegistry("localhost/app:1")).toBe(true);
    expect(namesOwnRegistry("dpage/pgadmin4:9")).toBe(false);
    expect(namesOwnRegistry("postgres:16")).toBe(false);
  });
});

describe("stack passphrases", () => {
  it("uses the documented dev passphrase only for dev, and demands one for ci", () => {
    expect(passphraseFor("dev", {})).toBe(DEV_PASSPHRASE);
    expect(passphraseFor("ci", { PULUMI_CONFIG_PASSPHRASE: "s3cret" })).toBe("s3cret");
    expect(() => passphraseFor("ci", {})).toThrow(/PULUMI_CONFIG_PASSPHRASE is not set/);
  });
});

describe("provider plugins", () => {
  it("asks for the versions of the provider SDKs the lockfile installs, the ones the offline plugins answer for", () => {
    const lock = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    const locked = Object.fromEntries(PLUGIN_NAMES.map((name) => [name, lock.packages[`node_modules/@pulumi/${name}`]?.version]));
    expect(requiredPlugins()).toEqual(locked);
    for (const plugin of [dockerPlugin, postgresqlPlugin, randomPlugin])
      expect(plugin.version, plugin.name).toBe(requiredPlugins()[plugin.name]);
  });

  it("names every plugin missing at the exact version", () => {
    const installed = [
      { name: "docker", kind: "resource", version: "5.2.0" },
      { name: "random", kind: "resource", version: "4.21.1" },
      { name: "nodejs", kind: "language", version: "3.259.0" },
    ];
    expect(missingPlugins({ docker: "5.2.0", random: "4.21.2", postgresql: "3.18.1" }, installed)).toEqual([
      "random 4.21.2",
      "postgresql 3.18.1",
    ]);
  });
});

describe("plugin set", () => {
  it("reads CONFRADAR_PLUGINS and refuses anything else by name", () => {
    expect(parsePluginSetting(undefined)).toBe("auto");
    expect(parsePluginSetting("offline")).toBe("offline");
    expect(parsePluginSetting("official")).toBe("official");
    expect(() => parsePluginSetting("local")).toThrow(/CONFRADAR_PLUGINS="local" is not understood/);
  });

  it("uses each official plugin that is there, the offline one for each missing, unless a set is forced", () => {
    expect(decidePlugins("auto", []).offline).toEqual([]);
    expect(decidePlugins("auto", ["docker 5.2.0"]).offline).toEqual(["docker"]);
    expect(decidePlugins("auto", ["docker 5.2.0"]).message).toMatch(
      /offline docker and the official postgresql, random \(the official docker 5.2.0 could not be installed/,
    );
    expect(decidePlugins("auto", ["random 4.21.2", "docker 5.2.0", "postgresql 3.18.1"]).offline).toEqual([
      "docker",
      "postgresql",
      "random",
    ]);
    expect(decidePlugins("offline", []).offline).toEqual(["docker", "postgresql", "random"]);
    expect(() => decidePlugins("official", ["random 4.21.2"], "no such host")).toThrow(/random 4.21.2 \(no such host\)/);
  });

  it("puts the offline launchers first on PATH, for the one command only", () => {
    const env = offlinePluginEnv("/repo", { PATH: "/usr/bin" });
    expect(env.PATH).toBe("/repo/offline/plugins/bin:/usr/bin");
    expect(offlinePluginEnv("/repo", { PATH: "/usr/bin" }, [])).toEqual({ PATH: "/usr/bin" });
  });

  it("links only the chosen offline plugins when the others are official", () => {
    const dir = offlinePluginPath(repoRoot, ["postgresql"]);
    expect(readdirSync(dir)).toEqual(["pulumi-resource-postgresql"]);
    expect(realpathSync(path.join(dir, "pulumi-resource-postgresql"))).toBe(
      path.join(repoRoot, "offline", "plugins", "bin", "pulumi-resource-postgresql"),
    );
  });
});

describe("toShellExports", () => {
  it("prints quoted export lines and skips absent outputs", () => {
    const text = toShellExports({
      appUrl: "http://127.0.0.1:3080/",
      postgresPort: 55432,
      appliedMigrations: ["a", "b"],
      pgadminUrl: null,
      odd: "it's",
    });
    expect(text.split("\n")).toEqual([
      "export CONFRADAR_APP_URL='http://127.0.0.1:3080/'",
      "export CONFRADAR_POSTGRES_PORT='55432'",
      `export CONFRADAR_APPLIED_MIGRATIONS='["a","b"]'`,
      "export CONFRADAR_ODD='it'\\''s'",
    ]);
  });
});

describe("the ci stack file", () => {
  it("carries no encryption salt: each CI run's stack creation adds the salt of that run's passphrase", () => {
    expect(readFileSync(path.join(repoRoot, "Pulumi.ci.yaml"), "utf8")).not.toMatch(/^encryptionsalt:/m);
  });
});
