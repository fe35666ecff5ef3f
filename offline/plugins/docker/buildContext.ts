/**
 * The files of a build context as the docker CLI sends them: .dockerignore applied (the CLI's
 * pattern rules, through @balena/dockerignore), the Dockerfile and .dockerignore always included.
 * Their digest decides whether the image must be built again.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pack } from "tar-fs";
import type { Readable } from "node:stream";

// A CommonJS module whose types declare an ES default export: require it to get the function itself.
const dockerignore = createRequire(import.meta.url)("@balena/dockerignore") as typeof import("@balena/dockerignore").default;

/** Context-relative paths (with /) of every file the build sends, sorted. */
export function contextFiles(contextDir: string, dockerfile: string): string[] {
  const ignoreFile = path.join(contextDir, ".dockerignore");
  const patterns = existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8") : "";
  const ignore = dockerignore({}).add(patterns);
  // Directories that a "!" pattern reaches into: walked even when a broader pattern ignores them,
  // as the docker CLI does ("*" then "!data/conferences.json" sends that one file).
  const reincluded = patterns
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).replace(/^\/+/, ""));
  const mayReinclude = (dir: string) => reincluded.some((pattern) => pattern.startsWith(`${dir}/`) || pattern.startsWith("**"));
  const files: string[] = [];
  const walk = (relativeDir: string) => {
    for (const entry of readdirSync(path.join(contextDir, relativeDir), { withFileTypes: true })) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // A directory is entered unless ignored with nothing re-included below it ("!" patterns).
        if (!ignore.ignores(relative) || mayReinclude(relative)) walk(relative);
      } else if (!ignore.ignores(relative)) {
        files.push(relative);
      }
    }
  };
  walk("");
  const always = [path.relative(contextDir, dockerfile).split(path.sep).join("/"), ".dockerignore"];
  for (const file of always) if (existsSync(path.join(contextDir, file)) && !files.includes(file)) files.push(file);
  return files.sort();
}

/** sha256 over each file's path, mode and content, plus the build arguments and platform. */
export function contextDigest(contextDir: string, files: string[], extra: unknown): string {
  const hash = createHash("sha256");
  for (const file of files) {
    const full = path.join(contextDir, file);
    hash.update(`${file}\0${statSync(full).mode & 0o111 ? "x" : "-"}\0`);
    hash.update(readFileSync(full));
    hash.update("\0");
  }
  hash.update(JSON.stringify(extra));
  return `sha256:${hash.digest("hex")}`;
}

/** The context as the tar stream the Engine API's build endpoint takes. */
export function contextTar(contextDir: string, files: string[]): Readable {
  return pack(contextDir, { entries: files }) as unknown as Readable;
}
