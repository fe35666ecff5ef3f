import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMigrationSet } from "../../app/src/migrate/files.js";
import { previewAgainstBase, type PreviewRunResult, type HeadPreview } from "../../scripts/preview/previewRun.js";
import { repoRoot } from "../../scripts/stack/stack.js";
import { requireDocker, requireToolchain, sh } from "./pulumiProject.js";

// The pull request preview for real (scripts/preview): one throwaway copy of the ci stack brought
// up from a base commit, and three heads previewed against it, each a commit in a temporary clone
// of this repository: one adds a migration, one changes the app image's build, one changes only
// the README. The summaries go to .artifacts/pr-preview/ and the log.

const NEW_MIGRATION = "20261210000000000_add-series";
const artifacts = path.join(repoRoot, ".artifacts", "pr-preview");

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A commit on top of `base` in `repo` made by `change`; returns its sha. */
function commitOnBase(repo: string, base: string, message: string, change: () => void): string {
  git(repo, "checkout", "--quiet", "--detach", base);
  change();
  git(repo, "add", "--all");
  git(repo, "commit", "--quiet", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

const pendingSection = (summary: string) =>
  summary
    .split("### Pending migrations")[1]!
    .split("### ")[0]!
    .split("\n")
    .filter((line) => line.startsWith("- "));

describe("pull request preview against the stack its base builds", () => {
  let clone: string;
  let base: string;
  const heads: Record<"migration" | "image" | "nothing", string> = { migration: "", image: "", nothing: "" };
  let result: PreviewRunResult;
  const previewOf = (head: string): HeadPreview => {
    const found = result.previews.find((p) => p.head.sha === head);
    if (!found) throw new Error(`no preview of ${head}: ${result.failure ?? "(no failure recorded)"}`);
    return found;
  };

  // One base `up` (~2.5 min) and two previews per head (~45 s each) on 2 cores: longer than the project's hook timeout.
  beforeAll(async () => {
    requireDocker();
    requireToolchain();
    clone = mkdtempSync(path.join(os.tmpdir(), "confradar-pr-preview-test-"));
    // The committed tree of this checkout; the test's commits stay in the throwaway clone.
    git(os.tmpdir(), "clone", "--quiet", "--shared", "--no-checkout", repoRoot, clone);
    git(clone, "config", "user.email", "preview-test@confradar.invalid");
    git(clone, "config", "user.name", "preview test");
    base = git(clone, "rev-parse", "HEAD");
    heads.migration = commitOnBase(clone, base, "a new migration", () =>
      writeFileSync(
        path.join(clone, "migrations", `${NEW_MIGRATION}.ts`),
        [
          'import type { MigrationBuilder } from "node-pg-migrate";',
          "",
          "export async function up(pgm: MigrationBuilder): Promise<void> {",
          '  pgm.createTable("series", { id: "id", name: { type: "text", notNull: true } });',
          "}",
          "",
          "export async function down(pgm: MigrationBuilder): Promise<void> {",
          '  pgm.dropTable("series");',
          "}",
          "",
        ].join("\n"),
      ),
    );
    heads.image = commitOnBase(clone, base, "the app image gets a label", () =>
      appendFileSync(path.join(clone, "app", "Dockerfile"), 'LABEL com.confradar.preview-test="image build changed"\n'),
    );
    heads.nothing = commitOnBase(clone, base, "README only", () =>
      appendFileSync(path.join(clone, "README.md"), "\nA line that changes no part of the stack.\n"),
    );
    mkdirSync(artifacts, { recursive: true });
    result = await previewAgainstBase({
      eventLogDir: artifacts,
      repo: clone,
      base,
      heads: [heads.migration, heads.image, heads.nothing],
      stack: `preview-test-${process.pid}`,
    });
    for (const [name, sha] of Object.entries(heads)) {
      const preview = result.previews.find((p) => p.head.sha === sha);
      const text = preview?.summary ?? result.failure ?? "(no summary)";
      writeFileSync(path.join(artifacts, `${name}.md`), text);
      console.log(`\n===== pull request preview: head ${name} =====\n${text}`);
    }
  }, 1_800_000);

  afterAll(() => {
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it("a head that adds a migration: exactly that migration pending, no replacement of Postgres", () => {
    expect(result.failure).toBeUndefined();
    const preview = previewOf(heads.migration);
    expect(preview.ok).toBe(true);
    expect(preview.migrations?.added).toEqual([NEW_MIGRATION]);
    expect(preview.changes?.stepPending).toEqual([NEW_MIGRATION]);
    expect(pendingSection(preview.summary)).toEqual([`- \`${NEW_MIGRATION}\``]);
    // Postgres, its volume, the database and the roles stay; the app image carries the migrations
    // (its /readyz compares them with the ledger), so it is rebuilt and the app containers with it.
    const touched = preview.changes!.resources.filter((r) => /^(postgres|database)-/.test(r.name));
    expect(touched).toEqual([]);
    expect(preview.changes!.resources.filter((r) => r.change === "delete")).toEqual([]);
    expect(
      preview
        .changes!.resources.filter((r) => r.change === "replace")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["app-api", "app-worker"]);
    expect(preview.changes!.resources.map((r) => `${r.change} ${r.name}`)).toContain("update schema-step");
    expect(preview.summary).toContain(`This pull request adds 1 migration (\`${NEW_MIGRATION}\`)`);
    expect(preview.summary).toContain("changes no role");
  });

  it("a head that changes the app image's build: the api and worker containers replaced, forced by their image", () => {
    const preview = previewOf(heads.image);
    expect(preview.ok).toBe(true);
    expect(preview.migrations?.added).toEqual([]);
    const replaced = preview.changes!.resources.filter((r) => r.change === "replace");
    expect(replaced.map((r) => r.name).sort()).toEqual(["app-api", "app-worker"]);
    for (const container of replaced) expect(container.properties).toContain("image");
    expect(preview.changes!.resources.find((r) => r.name === "app-image")?.change).toBe("update");
    expect(preview.summary).toMatch(/replaces `app-api`, `app-worker`/);
    expect(preview.summary).toMatch(/\| replace \| `app-api` \| Container \| forced by `image` \|/);
  });

  it("a head that changes nothing in the stack says so", () => {
    const preview = previewOf(heads.nothing);
    expect(preview.ok).toBe(true);
    expect(preview.changes!.resources).toEqual([]);
    expect(preview.changes!.outputs).toEqual([]);
    expect(preview.migrations).toEqual({ added: [], removed: [], edited: [], outOfOrder: [] });
    expect(preview.summary).toContain("**This pull request changes nothing in the stack");
  });

  it("shows no password: every connection string in the summaries is a secret or has none", () => {
    for (const preview of result.previews) {
      expect(preview.summary).not.toMatch(/postgres(ql)?:\/\/[^:@\s/]+:[^@\s]+@/);
    }
  });

  it("leaves nothing behind: no container, network or volume of the run, no worktree, no app image tag", () => {
    for (const kind of [
      ["ps", "-a"],
      ["network", "ls"],
      ["volume", "ls"],
    ]) {
      const listed = sh("docker", [...kind, "-q", "--filter", `label=com.confradar.stack=${result.stack}`]);
      expect(listed.stdout.trim()).toBe("");
    }
    expect(sh("docker", ["image", "inspect", `confradar-${result.stack}-app:latest`]).status).not.toBe(0);
    expect(git(clone, "worktree", "list").split("\n")).toHaveLength(1);
    expect(existsSync(result.workDir)).toBe(false);
  });

  it("the command refuses bad arguments with exit 2 and its usage, before touching Docker", () => {
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
    const missing = spawnSync(tsx, ["scripts/preview/pr-preview.ts"], { cwd: repoRoot, encoding: "utf8" });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--base is required[\s\S]*usage:/);
    const reserved = spawnSync(tsx, ["scripts/preview/pr-preview.ts", "--base", "HEAD", "--stack", "ci"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(reserved.status).toBe(1);
    expect(reserved.stderr).toMatch(/stack name "ci" is a stack people use/);
    expect(readMigrationSet(path.join(repoRoot, "migrations")).names).not.toContain(NEW_MIGRATION);
  });
});
