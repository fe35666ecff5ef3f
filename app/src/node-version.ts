/**
 * Which Node.js the project runs on. The one statement of it is `engines.node` in package.json
 * (">=X.Y.Z"), which npm reads too; this module reads it and says what to do when the running Node
 * is older. Every entry point imports ./check-node.js first (the app, the migration CLI, the stack
 * and Pulumi commands, set-up, the benches, the Pulumi program and the offline plugins), so the
 * wrong Node fails at once with this message, not later with an obscure error from a dependency
 * that needs a newer one (@pulumi/pulumi and vitest need 22+).
 * The exact release fetched for CI and images is .node-version (scripts/node/ensure).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { appRoot } from "./paths.js";

/** The package name that marks the repository's own package.json (also /app/package.json in the image). */
const PACKAGE_NAME = "confradar-infra";

export type Version = readonly [major: number, minor: number, patch: number];

/** "24.11.0" or "v24.11.0" -> [24, 11, 0]; undefined for anything else. */
export function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * The minimum version of an engines range. Only ">=X.Y.Z" is accepted: the project states a
 * floor, and scripts/node/ensure (bash) reads the same field with the same rule.
 */
export function minimumOfEnginesRange(range: string): Version {
  const match = /^>=\s*(\d+\.\d+\.\d+)$/.exec(range.trim());
  const version = match ? parseVersion(match[1]!) : undefined;
  if (!version) throw new Error(`package.json engines.node is "${range}": write it as ">=X.Y.Z" (e.g. ">=24.11.0")`);
  return version;
}

/** What to do to get a suitable Node (of the required major), for the message. */
export function howToGetNode(major: number): string {
  return (
    `In this repository, \`npm ci\` links a cached official Node.js ${major} (scripts/node/ensure) where the ` +
    "machine's is older, and `npm run ...`, `npm test` and `npx ...` then use it; for a shell, " +
    '`eval "$(bash scripts/node/ensure --shell)"` puts it first on PATH. Elsewhere install Node.js ' +
    `${major} (https://nodejs.org/), or build images FROM node:${major}-bookworm-slim (app/Dockerfile NODE_IMAGE).`
  );
}

/**
 * The problem with running on Node `found` (process.version) when `range` (engines.node) is
 * required, or undefined when there is none. Pure: the caller decides how to report it.
 */
export function nodeVersionProblem(found: string, range: string, execPath: string): string | undefined {
  const minimum = minimumOfEnginesRange(range);
  const running = parseVersion(found);
  if (running && compareVersions(running, minimum) >= 0) return undefined;
  return (
    `ConfRadar needs Node.js ${minimum.join(".")} or newer (package.json engines.node "${range}"), ` +
    `but this is Node.js ${found} (${execPath}). ${howToGetNode(minimum[0])}`
  );
}

/** engines.node of the nearest package.json named confradar-infra at or above `fromDir`. */
export function readEnginesNode(fromDir: string): string {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, "utf8")) as { name?: string; engines?: { node?: string } };
      if (manifest.name === PACKAGE_NAME) {
        if (!manifest.engines?.node) throw new Error(`${file} has no engines.node`);
        return manifest.engines.node;
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json named ${PACKAGE_NAME} at or above ${fromDir}`);
  }
}

/** The requirement as the app's package.json states it (the checkout's, or /app's in the image). */
export function requiredNodeRange(): string {
  return readEnginesNode(appRoot);
}

/** Exits with status 1 and the message on stderr when the running Node does not meet engines.node. */
export function exitUnlessSupportedNode(): void {
  const problem = nodeVersionProblem(process.version, requiredNodeRange(), process.execPath);
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
