import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { contextDigest, contextFiles, goFileMode } from "../../offline/plugins/docker/buildContext.js";

let dir: string;

function write(relative: string, content: string) {
  const full = path.join(dir, relative);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "offline-build-context-"));
  write(".dockerignore", "*\n!app/\n!package.json\napp/**/*.test.ts\n");
  write("Dockerfile", "FROM node:22\n");
  write("package.json", "{}\n");
  write("README.md", "readme\n");
  write("app/index.ts", "export {};\n");
  write("app/x.test.ts", "test\n");
  write("app/sub/z.ts", "export const z = 1;\n");
  write("app/sub/y.test.ts", "test\n");
  write("node_modules/dep/index.js", "module.exports = 1;\n");
  write("tests/unit/a.test.ts", "test\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("offline docker plugin: contextFiles", () => {
  it("applies an allow-list .dockerignore, in the order of a depth-first walk", () => {
    expect(contextFiles(dir, path.join(dir, "Dockerfile"))).toEqual(["app/index.ts", "app/sub/z.ts", "package.json"]);
  });

  it("leaves out node_modules, test files and what the allow-list does not name", () => {
    const files = contextFiles(dir, path.join(dir, "Dockerfile"));
    expect(files.some((f) => f.startsWith("node_modules/"))).toBe(false);
    expect(files).not.toContain("app/x.test.ts");
    expect(files).not.toContain("app/sub/y.test.ts");
    expect(files).not.toContain("README.md");
    expect(files).not.toContain("tests/unit/a.test.ts");
  });

  it("walks into an ignored directory for a file a ! pattern brings back", () => {
    const reinclude = mkdtempSync(path.join(tmpdir(), "offline-build-context-reinclude-"));
    try {
      mkdirSync(path.join(reinclude, "data"));
      writeFileSync(path.join(reinclude, "data", "conferences.json"), "[]");
      writeFileSync(path.join(reinclude, "data", "other.json"), "[]");
      writeFileSync(path.join(reinclude, "Dockerfile"), "FROM scratch\n");
      writeFileSync(path.join(reinclude, ".dockerignore"), "*\n!data/conferences.json\n");
      expect(contextFiles(reinclude, path.join(reinclude, "Dockerfile"))).toEqual(["data/conferences.json"]);
    } finally {
      rmSync(reinclude, { recursive: true, force: true });
    }
  });

  it("sends everything without a .dockerignore", () => {
    const plain = mkdtempSync(path.join(tmpdir(), "offline-build-context-plain-"));
    try {
      mkdirSync(path.join(plain, "src"));
      writeFileSync(path.join(plain, "src", "b.txt"), "b");
      writeFileSync(path.join(plain, "a.txt"), "a");
      writeFileSync(path.join(plain, "Dockerfile"), "FROM scratch\n");
      expect(contextFiles(plain, path.join(plain, "Dockerfile"))).toEqual(["Dockerfile", "a.txt", "src/b.txt"]);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});

describe("offline docker plugin: contextDigest", () => {
  const digest = () => contextDigest(dir, path.join(dir, "Dockerfile"), contextFiles(dir, path.join(dir, "Dockerfile")));

  it("is the official docker provider's digest for the same files", () => {
    // The same files, modes and ignore file given to the official docker plugin 5.2.0 (built from
    // its public sources for this comparison): its check recorded build.contextDigest
    // e67e7d42..., the value below.
    const fixture = mkdtempSync(path.join(tmpdir(), "offline-build-context-golden-"));
    try {
      const put = (name: string, content: string, mode: number) => {
        mkdirSync(path.dirname(path.join(fixture, name)), { recursive: true });
        writeFileSync(path.join(fixture, name), content);
        chmodSync(path.join(fixture, name), mode);
      };
      put("Dockerfile", "FROM scratch\nCOPY . /\n", 0o644);
      put(".dockerignore", "ignored.txt\n", 0o644);
      put("a.txt", "a\n", 0o644);
      put("sub/b.txt", "b\n", 0o644);
      put("sub-c.txt", "c\n", 0o644);
      put("ignored.txt", "x\n", 0o644);
      put("run.sh", "#!/bin/sh\n", 0o755);
      const files = contextFiles(fixture, path.join(fixture, "Dockerfile"));
      expect(files).toEqual([".dockerignore", "Dockerfile", "a.txt", "run.sh", "sub/b.txt", "sub-c.txt"]);
      expect(contextDigest(fixture, path.join(fixture, "Dockerfile"), files)).toBe(
        "e67e7d428c749caba3d32b479a3879f6263ac3c1ce027efd3fba088eb5f1d386",
      );
    } finally {
      rmSync(fixture, { recursive: true, force: true });
    }
  });

  it("is stable while nothing changes, and changes with a file's content", () => {
    const first = digest();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(digest()).toBe(first);

    // An excluded file changing does not matter.
    write("app/x.test.ts", "changed\n");
    expect(digest()).toBe(first);

    write("app/index.ts", "export const changed = true;\n");
    expect(digest()).not.toBe(first);

    write("app/index.ts", "export {};\n");
    expect(digest()).toBe(first);
  });

  it("changes with the Dockerfile and the file list", () => {
    const base = digest();
    write("Dockerfile", "FROM node:24\n");
    expect(digest()).not.toBe(base);
    write("Dockerfile", "FROM node:22\n");
    const files = contextFiles(dir, path.join(dir, "Dockerfile"));
    expect(contextDigest(dir, path.join(dir, "Dockerfile"), files.slice(1))).not.toBe(base);
  });

  it("changes when a file becomes executable", () => {
    const before = digest();
    chmodSync(path.join(dir, "app/sub/z.ts"), 0o755);
    expect(digest()).not.toBe(before);
    chmodSync(path.join(dir, "app/sub/z.ts"), 0o644);
    expect(digest()).toBe(before);
  });
});

describe("offline docker plugin: goFileMode", () => {
  it("writes Go's mode strings", () => {
    expect(goFileMode(0o100644, false)).toBe("-rw-r--r--");
    expect(goFileMode(0o100755, false)).toBe("-rwxr-xr-x");
    expect(goFileMode(0o120777, true)).toBe("Lrwxrwxrwx");
  });
});
