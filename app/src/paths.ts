import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory holding package.json: the repository root when running from source
 * (app/src/...), /app in the image (dist/app/src/...). Found by walking up, because the
 * compiled files sit one level deeper than the sources.
 */
export function findAppRoot(startFile: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(startFile);
  for (;;) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}
