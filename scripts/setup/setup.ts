/**
 * The set-up the README's two commands do by themselves on a fresh machine, each step announced
 * with what it does and how long it usually takes, and cached for the next run:
 *   engine      a Docker engine that answers (scripts/docker/ensure-engine starts or installs one)
 *   cli         the Pulumi CLI and language host: the npm launcher's download where it works, else
 *               the build from Go modules (scripts/toolchain/install)
 *   images      the stack's images: present, pulled where a registry answers, else built here
 *               (scripts/images/build)
 *   actionlint  the workflow checker the tests use (scripts/ci/install-actionlint)
 *   chromium    Debian's chromium for the e2e browser check (scripts/ci/install-chromium)
 * `tsx scripts/setup/setup.ts [STEP...]` runs the named steps (default: all); `npm test` runs them
 * first (pretest), `npm run up` runs engine, cli and images.
 */
import "../../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { offlinePulumiEnv, repoRoot, toolchainProblems } from "../pulumi/offline-env.js";

export const SETUP_STEPS = ["engine", "cli", "images", "actionlint", "chromium"] as const;
export type SetupStep = (typeof SETUP_STEPS)[number];

export class SetupError extends Error {}

function announce(text: string): void {
  process.stderr.write(`setup: ${text}\n`);
}

/** Runs a command with its output shown on stderr; resolves to its exit code. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 0): Promise<number> {
  return await new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", process.stderr, process.stderr] });
    const timer = timeoutMs > 0 ? setTimeout(() => child.kill("SIGTERM"), timeoutMs) : undefined;
    child.on("error", () => resolve(127));
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

export function dockerAnswers(): boolean {
  return spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore" }).status === 0;
}

export async function ensureEngine(): Promise<void> {
  if (dockerAnswers()) return;
  if (process.env.DOCKER_HOST || process.platform !== "linux" || process.getuid?.() !== 0)
    throw new SetupError(
      "Docker is not running. Start it (Docker Desktop, `sudo systemctl start docker`, or as root " +
        "`bash scripts/docker/ensure-engine`), then run the command again.",
    );
  announce("starting the Docker engine (scripts/docker/ensure-engine; first time installs Debian's docker.io, ~1 min)");
  if ((await run("bash", ["scripts/docker/ensure-engine"])) !== 0 || !dockerAnswers())
    throw new SetupError("the Docker engine did not start: see the lines above, and docs/troubleshooting.md");
}

export async function ensureCli(): Promise<void> {
  if (toolchainProblems().length === 0) return;
  announce("getting the Pulumi CLI: the npm launcher's download first (a few seconds where the Pulumi site answers)");
  const launcher = path.join(repoRoot, "node_modules", ".bin", "pulumi");
  if ((await run(launcher, ["version"], offlinePulumiEnv(), 180_000)) === 0 && toolchainProblems().length === 0) return;
  announce(
    "the download did not work here: building the Pulumi CLI and language host from Go modules " +
      "(scripts/toolchain/install; cold ~12 min on 2 cores, cached afterwards)",
  );
  const code = await run("bash", ["scripts/toolchain/install", "cli", "language-nodejs"]);
  const problems = toolchainProblems();
  if (code !== 0 || problems.length > 0)
    throw new SetupError(`the Pulumi toolchain could not be built:\n  ${problems.join("\n  ")}\nsee docs/offline.md`);
}

function imagePresent(ref: string): boolean {
  return spawnSync("docker", ["image", "inspect", ref], { stdio: "ignore" }).status === 0;
}

/**
 * The images a stack runs: the official ones (`officialImages`, the stack's settings) when present
 * or pullable, else the local builds from `scripts/images/build` (cached by their inputs' hash).
 * CONFRADAR_IMAGES=local skips the pulls; =official never builds.
 */
export async function ensureImages(officialImages: string[], localImages: string[]): Promise<void> {
  const setting = process.env.CONFRADAR_IMAGES;
  if (setting !== "local") {
    const missing = officialImages.filter((ref) => !imagePresent(ref));
    if (missing.length === 0) return;
    if (setting !== "official" && localImages.every(imagePresent)) return;
    announce(`pulling ${missing.join(", ")} (fails fast where no registry answers)`);
    let pulled = true;
    for (const ref of missing) if ((await run("docker", ["pull", "-q", ref], process.env, 600_000)) !== 0) pulled = false;
    if (pulled) return;
    if (setting === "official") throw new SetupError(`CONFRADAR_IMAGES=official, but ${missing.join(", ")} could not be pulled`);
  }
  announce("building the local images from Debian, npm and PyPI (scripts/images/build; cold ~5 min, a few seconds when cached)");
  if ((await run("bash", ["scripts/images/build"])) !== 0)
    throw new SetupError("building the local images failed: see the lines above, and docs/offline.md");
}

export async function ensureActionlint(): Promise<void> {
  if ((await run("bash", ["scripts/ci/install-actionlint"])) !== 0) throw new SetupError("actionlint could not be built");
}

/** The browser tests/e2e/browser.ts drives: Debian's, since Playwright's own download cannot work here. */
export async function ensureChromium(): Promise<void> {
  if (existsSync("/usr/bin/chromium")) return;
  announce("installing Debian's chromium for the e2e browser check (scripts/ci/install-chromium; ~1 min once)");
  if ((await run("bash", ["scripts/ci/install-chromium"])) !== 0)
    throw new SetupError("chromium could not be installed: see the lines above, and docs/troubleshooting.md");
}

async function main(steps: string[]): Promise<void> {
  const chosen = steps.length > 0 ? steps : [...SETUP_STEPS];
  for (const step of chosen)
    if (!(SETUP_STEPS as readonly string[]).includes(step))
      throw new SetupError(`unknown set-up step "${step}": use ${SETUP_STEPS.join(", ")}`);
  const started = Date.now();
  if (chosen.includes("engine")) await ensureEngine();
  if (chosen.includes("cli")) await ensureCli();
  if (chosen.includes("images")) {
    // The tests run the local images (they stand for the official ones in every test here).
    process.env.CONFRADAR_IMAGES ??= "local";
    await ensureImages([], []);
  }
  if (chosen.includes("actionlint")) await ensureActionlint();
  if (chosen.includes("chromium")) await ensureChromium();
  announce(`ready (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`setup: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
