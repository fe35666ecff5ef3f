import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { contextDigest, contextFiles } from "../../offline/plugins/docker/buildContext.js";

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
  it("applies an allow-list .dockerignore and always sends the Dockerfile and .dockerignore", () => {
    expect(contextFiles(dir, path.join(dir, "Dockerfile"))).toEqual([
      ".dockerignore",
      "Dockerfile",
      "app/index.ts",
      "app/sub/z.ts",
      "package.json",
    ]);
  });

  it("leaves out node_modules, test files and what the allow-list does not name", () => {
    const files = contextFiles(dir, path.join(dir, "Dockerfile"));
    expect(files.some((f) => f.startsWith("node_modules/"))).toBe(false);
    expect(files).not.toContain("app/x.test.ts");
    expect(files).not.toContain("app/sub/y.test.ts");
    expect(files).not.toContain("README.md");
    expect(files).not.toContain("tests/unit/a.test.ts");
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
  it("is stable while nothing changes, and changes with a file's content", () => {
    const files = contextFiles(dir, path.join(dir, "Dockerfile"));
    const first = contextDigest(dir, files, { args: {} });
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(contextDigest(dir, files, { args: {} })).toBe(first);

    // An excluded file changing does not matter.
    write("app/x.test.ts", "changed\n");
    expect(contextDigest(dir, contextFiles(dir, path.join(dir, "Dockerfile")), { args: {} })).toBe(first);

    write("app/index.ts", "export const changed = true;\n");
    const second = contextDigest(dir, files, { args: {} });
    expect(second).not.toBe(first);

    write("app/index.ts", "export {};\n");
    expect(contextDigest(dir, files, { args: {} })).toBe(first);
  });

  it("changes with the build arguments and the file list", () => {
    const files = contextFiles(dir, path.join(dir, "Dockerfile"));
    const base = contextDigest(dir, files, { args: {} });
    expect(contextDigest(dir, files, { args: { NODE_ENV: "production" } })).not.toBe(base);
    expect(contextDigest(dir, files.slice(1), { args: {} })).not.toBe(base);
  });

  it("changes when a file becomes executable", () => {
    const files = contextFiles(dir, path.join(dir, "Dockerfile"));
    const before = contextDigest(dir, files, null);
    chmodSync(path.join(dir, "app/sub/z.ts"), 0o755);
    expect(contextDigest(dir, files, null)).not.toBe(before);
    chmodSync(path.join(dir, "app/sub/z.ts"), 0o644);
    expect(contextDigest(dir, files, null)).toBe(before);
  });
});
