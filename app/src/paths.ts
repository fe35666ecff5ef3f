import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The nearest folder above `startFile` that holds a package.json. Walked up rather than a fixed
 * `../..`, because the compiled files (dist/app/src/...) sit one level deeper than the sources.
 */
function findPackageRoot(startFile: string): string {
  let dir = path.dirname(startFile);
  for (;;) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/**
 * The app's root, the folder holding package.json: the repository root when running from source,
 * /app in the image. The one answer to "where is the checkout": scripts, infra and tests use it too.
 */
export const appRoot: string = findPackageRoot(fileURLToPath(import.meta.url));

/** The repository root, for the scripts and tests that only ever run in a checkout: the app's root there. */
export const repoRoot: string = appRoot;
