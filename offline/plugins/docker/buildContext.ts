/**
 * The files of a build context as the docker CLI sends them (.dockerignore applied with the CLI's
 * pattern rules, through @balena/dockerignore), and their digest, computed exactly as the official
 * docker provider's Image does (pulumi-docker provider.go, hashContext), so that a stack moved from
 * one plugin set to the other sees the same digest and builds nothing.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Readable } from "node:stream";
import { pack } from "tar-fs";

// A CommonJS module whose types declare an ES default export: require it to get the function itself.
const dockerignore = createRequire(import.meta.url)("@balena/dockerignore") as typeof import("@balena/dockerignore").default;

/** The ignore file the official provider reads: `<Dockerfile>.dockerignore`, else the context's. */
function ignorePatterns(contextDir: string, dockerfile: string): string {
  for (const candidate of [`${dockerfile}.dockerignore`, path.join(contextDir, ".dockerignore")])
    if (existsSync(candidate)) return readFileSync(candidate, "utf8");
  return "";
}

/**
 * Context-relative paths (with /) of every file (and symlink) the build context holds after the
 * ignore file, in the order of a depth-first walk with each directory's entries sorted by name.
 */
export function contextFiles(contextDir: string, dockerfile: string): string[] {
  const patterns = ignorePatterns(contextDir, dockerfile);
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
    const entries = readdirSync(path.join(contextDir, relativeDir), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!ignore.ignores(relative) || mayReinclude(relative)) walk(relative);
      } else if (!ignore.ignores(relative)) {
        files.push(relative);
      }
    }
  };
  walk("");
  return files;
}

/** Go's fs.FileMode.String() for a regular file or a symlink: "-rw-r--r--", "Lrwxrwxrwx". */
export function goFileMode(mode: number, symlink: boolean): string {
  const bits = "rwxrwxrwx";
  let text = symlink ? "L" : "-";
  for (let i = 0; i < 9; i++) text += mode & (1 << (8 - i)) ? bits[i] : "-";
  return text;
}

/**
 * The official digest: sha256 over, first, the Dockerfile's content under the name "Dockerfile"
 * with mode "----------", then each context file's path, Go mode string, the sha256 of its content
 * (of its resolved target path for a symlink) and a zero byte. Lowercase hex.
 */
export function contextDigest(contextDir: string, dockerfile: string, files: string[]): string {
  const entry = (name: string, mode: string, content: Buffer | string) =>
    Buffer.concat([Buffer.from(name), Buffer.from(mode), createHash("sha256").update(content).digest(), Buffer.from([0])]);
  const parts = [entry("Dockerfile", "----------", readFileSync(dockerfile))];
  for (const file of files) {
    const full = path.join(contextDir, file);
    const stat = lstatSync(full);
    const content = stat.isSymbolicLink() ? realpathSync(full) : readFileSync(full);
    parts.push(entry(file, goFileMode(stat.mode, stat.isSymbolicLink()), content));
  }
  return createHash("sha256").update(Buffer.concat(parts)).digest("hex");
}

/** The context as the tar stream the Engine API's build endpoint takes; the Dockerfile always in it. */
export function contextTar(contextDir: string, files: string[], dockerfile: string): Readable {
  const relativeDockerfile = path.relative(contextDir, dockerfile).split(path.sep).join("/");
  const entries = files.includes(relativeDockerfile) ? files : [...files, relativeDockerfile];
  return pack(contextDir, { entries }) as unknown as Readable;
}
