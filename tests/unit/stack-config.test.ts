import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  configKeys,
  configShape,
  majorFromImageTag,
  parseStackConfig,
  StackConfigError,
} from "../../infra/stackConfig/schema.js";
import { repoRoot as root } from "../../app/src/paths.js";

const projectConfig = (
  parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, { type: string; description: string; default: unknown }>;
  }
).config;

function problemsOf(raw: Record<string, string>): string[] {
  try {
    parseStackConfig(raw);
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("stack config", () => {
  it("declares every key in Pulumi.yaml with a description and the same default", () => {
    expect(Object.keys(projectConfig).sort()).toEqual([...configKeys].sort());
    const defaults = parseStackConfig({});
    for (const key of configKeys) {
      const declared = projectConfig[key]!;
      expect(declared.description.length, key).toBeGreaterThan(10);
      expect(defaults[key], key).toEqual(declared.default);
      expect(configShape[key], key).toBeDefined();
    }
  });

  it("documents every key in docs/configuration.md", () => {
    const doc = readFileSync(path.join(root, "docs/configuration.md"), "utf8");
    for (const key of configKeys) expect(doc, key).toContain(`\`${key}\``);
  });

  it("parses the committed dev and ci stacks with Pulumi.yaml's defaults, as the CLI hands them to the program", () => {
    const declaredDefaults = Object.fromEntries(Object.entries(projectConfig).map(([k, v]) => [k, String(v.default)]));
    for (const stack of ["dev", "ci"]) {
      const doc = parse(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, string> };
      const raw = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace("confradar:", ""), String(v)]));
      expect(() => parseStackConfig({ ...declaredDefaults, ...raw }), stack).not.toThrow();
    }
    // A value other than the default for the other mode is still refused.
    expect(problemsOf({ ...declaredDefaults, existingServerPort: "6543" }).join("\n")).toContain(
      "confradar:existingServerPort: only used with confradar:postgresSource = existing",
    );
  });

  it("parses the committed dev and ci stacks", () => {
    for (const stack of ["dev", "ci"]) {
      const doc = parse(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, string> };
      const raw = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace("confradar:", ""), String(v)]));
      expect(() => parseStackConfig(raw), stack).not.toThrow();
    }
  });

  it("turns strings into typed values", () => {
    const c = parseStackConfig({ postgresPort: "55432", pgadminEnabled: "TRUE", retainVolume: "false", healthRetries: "5" });
    expect(c).toMatchObject({ postgresPort: 55432, pgadminEnabled: true, retainVolume: false, healthRetries: 5 });
  });

  it.each([
    [{ postgresPort: "70000" }, 'confradar:postgresPort = "70000" must be 0 (pick a free port) or a TCP port 1024..65535'],
    [{ postgresPort: "80" }, 'confradar:postgresPort = "80" must be 0 (pick a free port) or a TCP port 1024..65535'],
    [{ appPort: "abc" }, 'confradar:appPort = "abc" must be a whole number'],
    [{ stopGraceSeconds: "10" }, 'confradar:stopGraceSeconds = "10" must be at least 60 seconds'],
    [{ retainVolume: "yes" }, 'confradar:retainVolume = "yes" must be true or false'],
    [{ postgresImage: "not an image!" }, 'confradar:postgresImage = "not an image!" must be an image reference'],
    [
      { postgresMajorVersion: "13", postgresImage: "postgres:13-alpine" },
      'confradar:postgresMajorVersion = "13" must be at least 15 (older servers lack settings and schema rights the stack relies on)',
    ],
    [
      { postgresMajorVersion: "14", postgresImage: "postgres:14-alpine" },
      'confradar:postgresMajorVersion = "14" must be at least 15 (older servers lack settings and schema rights the stack relies on)',
    ],
    [
      { postgresImage: "postgres:17-alpine" },
      "confradar:postgresMajorVersion = (unset) must match the major version in postgresImage (postgres:17-alpine is 17)",
    ],
    [{ databaseName: "Bad-Name" }, 'confradar:databaseName = "Bad-Name" must be a lower-case SQL identifier'],
    [{ pgadminEmail: "admin" }, 'confradar:pgadminEmail = "admin" must be an e-mail address'],
    [{ appPort: "5000", pgadminPort: "5000" }, 'confradar:pgadminPort = "5000" must differ from appPort (both are 5000)'],
    [{ postgresPrt: "5432" }, "confradar:postgresPrt: unknown key; known keys are postgresImage"],
  ])("rejects %j, naming the key, the value and what is allowed", (raw, expected) => {
    const problems = problemsOf(raw as Record<string, string>);
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("reports every bad key at once and says how to fix it", () => {
    let message = "";
    try {
      parseStackConfig({ postgresPort: "-1", healthRetries: "0" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("confradar:postgresPort");
    expect(message).toContain("confradar:healthRetries");
    expect(message).toContain("pulumi config set confradar:KEY VALUE");
  });
});

describe("majorFromImageTag", () => {
  it.each([
    ["postgres:16-alpine", 16],
    ["postgres:18", 18],
    ["docker.io/library/postgres:15.4-bookworm", 15],
    ["confradar-local/postgres:15", 15],
    ["postgres", undefined],
    ["postgres:latest", undefined],
    ["registry:5000/postgres@sha256:abc", undefined],
  ])("%s → %s", (ref, major) => expect(majorFromImageTag(ref)).toBe(major));
});
