/**
 * The preview of pull requests against their base, for real (scripts/preview/pr-preview.ts is
 * the command; the tests call this directly to preview several heads against one base `up`):
 *
 * 1. checks out the base commit in a git worktree (in a temporary folder) and brings a throwaway
 *    copy of the ci stack up from it: its own stack name (so its own container, network and volume
 *    names), its own state backend, ports free when the run starts, a passphrase generated for
 *    this run (no secret needed);
 * 2. for each head: checks it out in the same folder (the program's absolute paths are inputs of
 *    the image and the migration step: one folder keeps them equal) and runs `pulumi preview --diff`
 *    against that state, then `pulumi preview --json` for the engine's events the summary is made
 *    of (scripts/preview/changes.ts and markdown.ts);
 * 3. destroys the stack and removes the worktree and the folder, also when a step failed or the
 *    run was aborted.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";
import { readMigrationSet } from "../../app/src/migrate/files.js";
import { dockerName, STACK_LABEL } from "../../infra/dockerNames.js";
import { ensureCli, ensureEngine, ensureImages, SetupError } from "../setup/setup.js";
import { localImageConfig, readLocalImages } from "../stack/images.js";
import { choosePlugins, dockerVersion, imageMode, pulumi, repoRoot, stackImages, STACKS, UserError } from "../stack/stack.js";
import { compareMigrations, type MigrationChanges, parseEventLog, type PreviewChanges, readPreviewEvents } from "./changes.js";
import { type CommitLabel, renderFailure, renderSummary } from "./markdown.js";
import { freeLoopbackPort } from "../net/freeLoopbackPort.js";

/**
 * Settings of the ci stack a throwaway copy changes: ports free on this machine when the run
 * starts, the same for base and head, so runs never collide with the ci and dev stacks or each
 * other. Not 0 (Docker's pick): the program reads the api's port back from the container, which a
 * preview of its replacement does not know yet.
 */
const PORT_KEYS = ["confradar:postgresPort", "confradar:appPort", "confradar:pgadminPort"] as const;

const log = (message: string) => process.stderr.write(`[pr-preview] ${message}\n`);

export interface PreviewRunOptions {
  /** The git repository holding the commits (default: this checkout). */
  readonly repo?: string;
  /** The commit the stack is brought up from. */
  readonly base: string;
  /** The commits previewed, one after the other, against the base's state. */
  readonly heads: readonly string[];
  /** The throwaway stack's name (default preview-<random>); never dev or ci. */
  readonly stack?: string;
  /** Keeps each head's engine events there (`<sha>.events.jsonl`), for a closer look. */
  readonly eventLogDir?: string;
  /** Stops between steps (the stack is still destroyed). */
  readonly signal?: AbortSignal;
}

export interface HeadPreview {
  head: CommitLabel;
  /** The Markdown comment. */
  summary: string;
  /** False when `pulumi preview` failed (the summary says why). */
  ok: boolean;
  /** What the summary was made from (absent when the head could not be previewed). */
  changes?: PreviewChanges;
  migrations?: MigrationChanges;
}

export interface PreviewRunResult {
  stack: string;
  /** The run's temporary folder (worktree, state): removed by the time the run returns. */
  workDir: string;
  /** One per head; empty when the base could not be brought up (see `failure`). */
  previews: HeadPreview[];
  /** The comment when the run failed before any preview (the base's `up` failed, ...). */
  failure?: string;
}

/** A name the program takes as a stack and Docker as part of a name, and not one people use. */
export function checkStackName(name: string): string {
  // The stacks people use first: "ci" and "dev" are also too short for the pattern, and saying so
  // would hide the real reason.
  if ((STACKS as readonly string[]).includes(name))
    throw new UserError(
      `stack name "${name}" is a stack people use: the preview brings up and destroys its own, give it another name.`,
    );
  if (!/^[a-z][a-z0-9-]{2,30}$/.test(name))
    throw new UserError(`stack name "${name}": use 3 to 31 lower-case letters, digits and dashes, starting with a letter.`);
  return name;
}

function git(repo: string, args: string[]): string {
  const result = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
  if (result.status !== 0) throw new UserError(`git ${args.join(" ")} failed: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout.trim();
}

/** The commit a revision names, or an error saying how to get it. */
export function resolveCommit(repo: string, rev: string): CommitLabel {
  const result = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd: repo, encoding: "utf8" });
  if (result.status !== 0)
    throw new UserError(
      `${rev} is not a commit of ${repo}: fetch it first (in a pull request's workflow, check out with fetch-depth: 0).`,
    );
  return { sha: result.stdout.trim(), label: rev };
}

/**
 * node_modules for the checkout: this checkout's when the commit's lock file is the same (a
 * link: instant), else `npm ci` of the commit's own lock file.
 */
function prepareDependencies(checkout: string): void {
  const target = path.join(checkout, "node_modules");
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink()) unlinkSync(target);
  else if (existing) rmSync(target, { recursive: true, force: true });
  const lock = (root: string) => readFileSync(path.join(root, "package-lock.json"), "utf8");
  if (lock(checkout) === lock(repoRoot)) {
    symlinkSync(path.join(repoRoot, "node_modules"), target, "dir");
    return;
  }
  log("the commit's package-lock.json differs from this checkout's: npm ci in the worktree");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: checkout, stdio: ["ignore", 2, 2] });
  if (result.status !== 0) throw new UserError(`npm ci failed in ${checkout} (its output is above).`);
}

/**
 * The throwaway stack's file, from the checked-out commit's Pulumi.ci.yaml: its settings, the
 * run's ports, the local images when this run uses them, and the salt `stack init` wrote (kept
 * from one commit to the next: the state's secrets are encrypted with it).
 */
function writeStackFile(checkout: string, stack: string, localImages: boolean, ports: Record<string, number>): void {
  const ciFile = path.join(checkout, "Pulumi.ci.yaml");
  if (!existsSync(ciFile))
    throw new UserError("The checked-out commit has no Pulumi.ci.yaml: the preview copies the ci stack's settings.");
  const ci = (parse(readFileSync(ciFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const file = path.join(checkout, `Pulumi.${stack}.yaml`);
  const previous = existsSync(file) ? ((parse(readFileSync(file, "utf8")) ?? {}) as { encryptionsalt?: string }) : {};
  const config: Record<string, unknown> = {
    ...ci.config,
    ...(localImages ? localImageConfig(readLocalImages(repoRoot), ci.config ?? {}) : {}),
  };
  for (const key of PORT_KEYS) config[key] = String(ports[key]);
  const content = { config, ...(previous.encryptionsalt ? { encryptionsalt: previous.encryptionsalt } : {}) };
  writeFileSync(file, `# Generated by scripts/preview for one run, from Pulumi.ci.yaml.\n${stringify(content)}`);
}

/** Removes what a failed `destroy` left: the Docker objects labelled with this run's stack (ours alone). */
function removeLeftovers(stack: string): void {
  const filter = `label=${STACK_LABEL}=${stack}`;
  for (const [list, remove] of [
    [
      ["ps", "-aq"],
      ["rm", "-f", "-v"],
    ],
    [
      ["network", "ls", "-q"],
      ["network", "rm"],
    ],
    [
      ["volume", "ls", "-q"],
      ["volume", "rm", "-f"],
    ],
  ] as const) {
    const ids = spawnSync("docker", [...list, "--filter", filter], { encoding: "utf8" })
      .stdout.split("\n")
      .filter(Boolean);
    if (ids.length > 0) {
      log(`removing what destroy left: docker ${remove.join(" ")} ${ids.join(" ")}`);
      spawnSync("docker", [...remove, ...ids], { stdio: "ignore" });
    }
  }
  // A built image stays on the engine after destroy (as with the official provider): this run's tag goes.
  spawnSync("docker", ["image", "rm", `${dockerName(stack, "app")}:latest`], { stdio: "ignore" });
}

/** Checks Docker, the Pulumi CLI and the ci stack's images first, saying what to do when one is missing. */
async function checkPrerequisites(): Promise<void> {
  try {
    await ensureEngine();
    await ensureCli();
    const local = readLocalImages(repoRoot);
    await ensureImages(stackImages("ci"), [local.postgres, local.node]);
  } catch (error) {
    if (error instanceof SetupError) throw new UserError(error.message);
    throw error;
  }
  dockerVersion();
}

export async function previewAgainstBase(options: PreviewRunOptions): Promise<PreviewRunResult> {
  const repo = options.repo ?? repoRoot;
  const base = resolveCommit(repo, options.base);
  const heads = options.heads.map((rev) => resolveCommit(repo, rev));
  if (heads.length === 0) throw new UserError("Name at least one head commit to preview.");
  const stack = checkStackName(options.stack ?? `preview-${randomBytes(4).toString("hex")}`);
  await checkPrerequisites();

  // This run's own state backend and passphrase: nothing outlives the run, nothing is secret.
  const workDir = mkdtempSync(path.join(os.tmpdir(), "confradar-pr-preview-"));
  const stateDir = path.join(workDir, "state");
  mkdirSync(stateDir);
  const checkout = path.join(workDir, "checkout");
  const env = {
    PULUMI_BACKEND_URL: pathToFileURL(stateDir).href,
    PULUMI_CONFIG_PASSPHRASE: randomBytes(24).toString("base64url"),
  };
  const run = async (args: string[], how: { capture?: boolean; streamEvents?: boolean } = {}) =>
    await pulumi(args, {
      stack,
      cwd: checkout,
      // Makes `preview --json` print the engine's events, one a line, outputs included.
      env: how.streamEvents ? { ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } : env,
      capture: how.capture ?? false,
      toStderr: true,
    });
  const stopIfAborted = () => {
    if (options.signal?.aborted) throw new UserError("Interrupted: the stack was destroyed, nothing was previewed after that.");
  };

  const plugins = await choosePlugins("ci");
  const images = imageMode("ci");
  const ranWith = `${plugins.offline.length > 0 ? `Offline plugins: ${plugins.offline.join(", ")}.` : "Official plugins."} ${images === "local" ? "Locally built images." : "Official images."}`;
  log(`${plugins.message} Images: ${images}. Stack ${stack}, folder ${workDir}.`);

  const ports: Record<string, number> = {};
  for (const key of PORT_KEYS) {
    let port = await freeLoopbackPort();
    while (Object.values(ports).includes(port)) port = await freeLoopbackPort();
    ports[key] = port;
  }
  const result: PreviewRunResult = { stack, workDir, previews: [] };
  let stackCreated = false;
  try {
    log(`base ${base.label} (${base.sha.slice(0, 12)}): worktree and \`up\``);
    git(repo, ["worktree", "add", "--detach", checkout, base.sha]);
    prepareDependencies(checkout);
    writeStackFile(checkout, stack, images === "local", ports);
    const baseMigrations = readMigrationSet(path.join(checkout, "migrations"));
    if ((await run(["stack", "init", "--secrets-provider", "passphrase"], { capture: true })).code !== 0)
      throw new UserError(`pulumi stack init ${stack} failed (its message is above).`);
    stackCreated = true;
    stopIfAborted();
    if ((await run(["up", "--yes", "--skip-preview", "--color", "never"])).code !== 0)
      throw new UserError(
        `\`pulumi up\` of the base ${base.label} failed (its output is in the job's log): there is no state to preview against.`,
      );

    for (const head of heads) {
      stopIfAborted();
      log(`head ${head.label} (${head.sha.slice(0, 12)}): \`preview --diff\` against the base's state`);
      try {
        git(checkout, ["checkout", "--quiet", "--detach", head.sha]);
        prepareDependencies(checkout);
        writeStackFile(checkout, stack, images === "local", ports);
        const headMigrations = readMigrationSet(path.join(checkout, "migrations"));
        // Twice: the text reviewers know for the full diff, then the engine's events for the summary.
        const preview = await run(["preview", "--diff", "--color", "never"], { capture: true });
        process.stderr.write(preview.stdout);
        const events = await run(["preview", "--json"], { capture: true, streamEvents: true });
        if (options.eventLogDir)
          writeFileSync(path.join(options.eventLogDir, `${head.sha.slice(0, 12)}.events.jsonl`), events.stdout);
        const changes = readPreviewEvents(parseEventLog(events.stdout));
        const ok = preview.code === 0 && events.code === 0;
        if (!ok && changes.errors.length === 0)
          changes.errors.push(`pulumi preview exited with ${preview.code || events.code}: the full diff below has its output.`);
        const migrations = compareMigrations(baseMigrations, headMigrations);
        const summary = renderSummary({ base, head, changes, migrations, diffText: preview.stdout, ranWith });
        result.previews.push({ head, summary, ok, changes, migrations });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        log(`the preview of ${head.label} failed: ${reason}`);
        result.previews.push({ head, summary: renderFailure({ base, head, reason }), ok: false });
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`failed: ${reason}`);
    // The comment says the preview failed and why, rather than leaving an earlier run's text.
    result.failure = renderFailure({ base, head: heads[result.previews.length] ?? heads[0]!, reason });
  } finally {
    if (stackCreated) {
      log(`destroying ${stack}`);
      const destroyed = await run(["destroy", "--yes", "--skip-preview", "--color", "never"]);
      if (destroyed.code !== 0) log(`destroy failed (exit ${destroyed.code}); removing the run's Docker objects by label`);
    }
    removeLeftovers(stack);
    spawnSync("git", ["worktree", "remove", "--force", checkout], { cwd: repo, stdio: "ignore" });
    rmSync(workDir, { recursive: true, force: true });
    spawnSync("git", ["worktree", "prune"], { cwd: repo, stdio: "ignore" });
  }
  return result;
}
