import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  compareVersions,
  minimumOfEnginesRange,
  nodeVersionProblem,
  parseVersion,
  readEnginesNode,
  requiredNodeRange,
} from "../../app/src/node-version.js";
import { buildOfflineEnv, withFirstOnPath } from "../../scripts/pulumi/offline-env.js";
import { repoRoot as repo } from "../../app/src/paths.js";

const read = (file: string) => readFileSync(path.join(repo, file), "utf8");

describe("nodeVersionProblem", () => {
  it("accepts the minimum and anything newer", () => {
    expect(nodeVersionProblem("v24.11.0", ">=24.11.0", "/x/node")).toBeUndefined();
    expect(nodeVersionProblem("v24.22.3", ">=24.11.0", "/x/node")).toBeUndefined();
    expect(nodeVersionProblem("v26.1.0", ">=24.11.0", "/x/node")).toBeUndefined();
  });

  it("names the version found, its path, the one needed and how to get it", () => {
    const problem = nodeVersionProblem("v20.20.2", ">=24.11.0", "/usr/bin/node");
    expect(problem).toContain("needs Node.js 24.11.0 or newer");
    expect(problem).toContain("this is Node.js v20.20.2 (/usr/bin/node)");
    expect(problem).toContain("scripts/node/ensure --shell");
    expect(problem).toContain("node:24-bookworm-slim");
    expect(nodeVersionProblem("v24.10.9", ">=24.11.0", "/x/node")).toContain("v24.10.9");
  });

  it("treats an unreadable version as too old, and refuses a range it cannot read", () => {
    expect(nodeVersionProblem("v24", ">=24.11.0", "/x/node")).toBeDefined();
    expect(() => nodeVersionProblem("v24.22.3", "^24.11.0", "/x/node")).toThrow(/">=X.Y.Z"/);
  });
});

describe("versions", () => {
  it("parses with or without the v and compares numerically", () => {
    expect(parseVersion("v24.22.3")).toEqual([24, 22, 3]);
    expect(parseVersion("24.9.10")).toEqual([24, 9, 10]);
    expect(parseVersion("24.x")).toBeUndefined();
    expect(compareVersions([24, 10, 0], [24, 9, 10])).toBeGreaterThan(0);
    expect(minimumOfEnginesRange(">= 24.11.0")).toEqual([24, 11, 0]);
  });
});

describe("readEnginesNode", () => {
  it("finds the project's package.json above a folder, skipping other packages' on the way", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "node-version-"));
    try {
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "confradar-infra", engines: { node: ">=1.2.3" } }));
      mkdirSync(path.join(dir, "dist", "app", "src"), { recursive: true });
      writeFileSync(path.join(dir, "dist", "package.json"), JSON.stringify({ name: "other", engines: { node: ">=9.9.9" } }));
      expect(readEnginesNode(path.join(dir, "dist", "app", "src"))).toBe(">=1.2.3");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the Node.js version, stated once and followed everywhere", () => {
  const range = requiredNodeRange();
  const minimum = minimumOfEnginesRange(range);
  const pinned = read(".node-version").trim();

  it("this test runs on a Node that meets package.json engines.node", () => {
    expect(nodeVersionProblem(process.version, range, process.execPath)).toBeUndefined();
  });

  it(".node-version (CI, images, workflows) meets engines.node and is of its major", () => {
    const version = parseVersion(pinned);
    expect(version, `.node-version holds "${pinned}"`).toBeDefined();
    expect(compareVersions(version!, minimum)).toBeGreaterThanOrEqual(0);
    expect(version![0]).toBe(minimum[0]);
  });

  it("the locally built node image, the app image's default and the stack's default follow it", () => {
    const images = JSON.parse(read("images/local-images.json")) as { node: string; versions: { node: string } };
    expect(images.versions.node).toBe(pinned);
    expect(images.node).toContain(`:${pinned}-`);
    const officialDefault = `node:${minimum[0]}-bookworm-slim`;
    expect(read("app/Dockerfile")).toContain(`ARG NODE_IMAGE=${officialDefault}\n`);
    expect(read("Pulumi.yaml")).toContain(`default: ${officialDefault}\n`);
    expect(read("infra/stackConfig/schema.ts")).toContain(`"${officialDefault}"`);
  });

  it(".ci/run puts the cached Node first on PATH before anything runs npm or node", () => {
    const run = read(".ci/run");
    const ensure = run.indexOf('export PATH="$node_bin:$PATH"');
    expect(ensure).toBeGreaterThan(0);
    expect(run.indexOf("npm ci")).toBeGreaterThan(ensure);
    expect(run.indexOf("node --version")).toBeGreaterThan(ensure);
  });

  it("every setup-node step of the workflows reads .node-version", () => {
    for (const file of ["ci.yml", "preview.yml"]) {
      const workflow = parseYaml(read(`.github/workflows/${file}`)) as {
        jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      const setups = Object.values(workflow.jobs)
        .flatMap((job) => job.steps)
        .filter((step) => step.uses?.startsWith("actions/setup-node@"));
      expect(setups.length, file).toBeGreaterThan(0);
      for (const step of setups) {
        expect(step.with?.["node-version-file"], file).toBe(".node-version");
        expect(step.with?.["node-version"], file).toBeUndefined();
      }
    }
  });
});

describe("scripts/node/ensure --link (npm ci's postinstall)", () => {
  // A copy of the script in a scratch repository, a fake machine `node` and a fake cached Node:
  // nothing is fetched and the real node_modules is not touched.
  function scratch(machineNodeVersion: string) {
    const dir = mkdtempSync(path.join(tmpdir(), "node-ensure-"));
    const pinned = read(".node-version").trim();
    mkdirSync(path.join(dir, "scripts", "node"), { recursive: true });
    writeFileSync(path.join(dir, "scripts", "node", "ensure"), read("scripts/node/ensure"));
    writeFileSync(path.join(dir, "package.json"), read("package.json"));
    writeFileSync(path.join(dir, ".node-version"), `${pinned}\n`);
    mkdirSync(path.join(dir, "node_modules", ".bin"), { recursive: true });
    const fakeNode = (bin: string, version: string) => {
      mkdirSync(bin, { recursive: true });
      writeFileSync(
        path.join(bin, "node"),
        `#!/bin/sh\ncase "$1" in --version) echo v${version} ;; *) echo ${version} ;; esac\n`,
        {
          mode: 0o755,
        },
      );
    };
    const arch = process.arch === "arm64" ? "arm64" : "x64";
    const cached = path.join(dir, "cache", "confradar", `node-v${pinned}-linux-${arch}`, "bin");
    fakeNode(cached, pinned);
    fakeNode(path.join(dir, "machine"), machineNodeVersion);
    const run = () =>
      spawnSync("bash", [path.join(dir, "scripts", "node", "ensure"), "--link"], {
        encoding: "utf8",
        env: { ...process.env, XDG_CACHE_HOME: path.join(dir, "cache"), PATH: `${path.join(dir, "machine")}:/usr/bin:/bin` },
      });
    const link = path.join(dir, "node_modules", ".bin", "node");
    return { dir, run, link, cachedNode: path.join(cached, "node") };
  }

  it("links the cached Node where the machine's is older, and says so", () => {
    const { dir, run, link, cachedNode } = scratch("20.20.2");
    try {
      const result = run();
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain("this machine's node is 20.20.2");
      expect(readlinkSync(link)).toBe(cachedNode);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("links nothing (and removes an old link) where the machine's meets engines.node", () => {
    const { dir, run, link } = scratch("26.1.0");
    try {
      symlinkSync("/nonexistent/node", link);
      const result = run();
      expect(result.status, result.stderr).toBe(0);
      expect(existsSync(link) || lstatExists(link)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function lstatExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

describe("the Pulumi commands' environment", () => {
  it("puts the running Node first on PATH, once, and names the CLI version unless one is set", () => {
    const env = buildOfflineEnv({ PATH: "/usr/bin:/opt/node24/bin:/bin" }, {}, "/srv/confradar", {
      cliVersion: "3.276.0",
      nodeBinDir: "/opt/node24/bin",
    });
    expect(env.PATH).toBe("/opt/node24/bin:/usr/bin:/bin");
    expect(env.PULUMI_VERSION).toBe("3.276.0");
    expect(withFirstOnPath("/n/bin", undefined)).toBe("/n/bin");
    expect(withFirstOnPath("/n/bin", "/n/bin:/bin:/n/bin")).toBe("/n/bin:/bin");
    expect(buildOfflineEnv({ PULUMI_VERSION: "3.300.0" }, {}, "/srv", { cliVersion: "3.276.0" }).PULUMI_VERSION).toBe("3.300.0");
  });
});
