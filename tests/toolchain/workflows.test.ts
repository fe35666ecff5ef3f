import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMENT_MARKER } from "../../scripts/preview/markdown.js";
import { repoRoot as root } from "../../app/src/paths.js";

// The workflows cannot run here, so they are checked with actionlint (built from its Go module by
// scripts/ci/install-actionlint) and for the settings the project relies on.
const workflowsDir = path.join(root, ".github", "workflows");
const actionlint = path.join(process.env.CONFRADAR_TOOLS_BIN ?? path.join(homedir(), ".cache", "confradar", "bin"), "actionlint");

function lint(files: string[]): { status: number | null; output: string } {
  if (!existsSync(actionlint)) {
    throw new Error(`actionlint is not built at ${actionlint}: run \`bash scripts/ci/install-actionlint\``);
  }
  const result = spawnSync(actionlint, ["-no-color", "-shellcheck=", "-pyflakes=", ...files], { encoding: "utf8" });
  return { status: result.status, output: result.stdout + result.stderr };
}

const read = (name: string) => parse(readFileSync(path.join(workflowsDir, name), "utf8")) as any;

describe("GitHub Actions workflows", () => {
  it("pass actionlint", () => {
    const { status, output } = lint([path.join(workflowsDir, "preview.yml"), path.join(workflowsDir, "ci.yml")]);
    expect(output).toBe("");
    expect(status).toBe(0);
  });

  it("are rejected by the same check when broken", () => {
    const broken = readFileSync(path.join(workflowsDir, "ci.yml"), "utf8").replace(
      "runs-on: ubuntu-24.04",
      "runs-on: ${{ matrix.os }}",
    );
    const file = path.join(mkdtempSync(path.join(tmpdir(), "workflows-")), "ci.yml");
    writeFileSync(file, broken);
    const { status, output } = lint([file]);
    expect(status).not.toBe(0);
    expect(output).toMatch(/matrix/);
  });

  it("preview: the script against the base commit, one comment found by its marker and edited, no secret (forks work)", () => {
    const raw = readFileSync(path.join(workflowsDir, "preview.yml"), "utf8");
    const wf = read("preview.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(wf.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    // The passphrase is generated per run: nothing secret, so a fork's pull request runs the same.
    expect(raw).not.toMatch(/secrets\./);
    expect(wf.jobs.preview.env.PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
    const steps = wf.jobs.preview.steps as any[];
    const checkout = steps.find((s) => String(s.uses).startsWith("actions/checkout@"));
    expect(checkout.with["fetch-depth"]).toBe(0);
    const preview = steps.find((s) => String(s.run ?? "").includes("npm run -s preview:pr"));
    expect(preview.run).toContain('--base "$BASE_SHA"');
    expect(preview.run).toContain('--output "$SUMMARY_FILE"');
    expect(preview.env.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
    const comment = steps.find((s) => String(s.uses ?? "").startsWith("actions/github-script@"));
    expect(steps.indexOf(comment)).toBeGreaterThan(steps.indexOf(preview));
    // Posted whatever the preview's outcome (a failed preview says so), where the token can write.
    expect(comment.if).toMatch(/^always\(\) && github\.event\.pull_request\.head\.repo\.full_name == github\.repository$/);
    expect(comment.with.script).toContain(JSON.stringify(COMMENT_MARKER));
    expect(comment.with.script).toMatch(/updateComment[\s\S]*createComment/);
    expect(comment.with.script).toContain("process.env.SUMMARY_FILE");
    expect(wf.jobs.preview.env.SUMMARY_FILE).toBeDefined();
  });

  it("ci: tests, then the end-to-end suite (up to destroy) on the official plugins", () => {
    const wf = read("ci.yml");
    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push"]);
    const steps = wf.jobs.test.steps as any[];
    const index = (needle: string) => steps.findIndex((s) => String(s.run ?? "").includes(needle));
    expect(index("--project integration")).toBeGreaterThan(-1);
    // The pages in a browser run with the embedded pass, in the runner's Chrome.
    const browser = steps[index("--project browser")];
    expect(browser.env).toEqual({ CONFRADAR_TEST_STORE: "pglite", CONFRADAR_CHROMIUM: "/usr/bin/google-chrome" });
    expect(index("npm run test:e2e")).toBeGreaterThan(index("--project integration"));
    expect(steps[index("npm run test:e2e")].env).toEqual({
      CONFRADAR_PLUGINS: "official",
      CONFRADAR_CHROMIUM: "/usr/bin/google-chrome",
    });
    // The screenshots (browser and e2e) and step timings go up whatever the suite's outcome.
    const upload = steps.find((s) => String(s.uses ?? "").startsWith("actions/upload-artifact@"));
    expect(upload?.if).toBe("always()");
    expect(upload?.with?.path).toBe(".artifacts/"); // e2e/ and browser/
    expect(steps.indexOf(upload)).toBeGreaterThan(index("npm run test:e2e"));
  });
});
