import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  chooseMigrationFiles,
  compareMigrationNames,
  ignorePatternFor,
  migrationFileLanguage,
  migrationPrefixValue,
  readMigrationSet,
  stripExt,
} from "../../app/src/migrate/files.js";

describe("migration file selection", () => {
  it("recognises .ts (not .d.ts) and .js, ignores hidden and other files", () => {
    expect(migrationFileLanguage("20261124043000000_a.ts")).toBe("ts");
    expect(migrationFileLanguage("20261124043000000_a.js")).toBe("js");
    expect(migrationFileLanguage("20261124043000000_a.d.ts")).toBeNull();
    expect(migrationFileLanguage(".20261124043000000_a.ts")).toBeNull();
    expect(migrationFileLanguage("README.md")).toBeNull();
    expect(migrationFileLanguage("20261124043000000_a.js.map")).toBeNull();
  });

  it("prefers .ts when a folder holds sources and tsc output side by side", () => {
    const chosen = chooseMigrationFiles(["2_b.js", "1_a.ts", "1_a.js", "2_b.ts", "1_a.d.ts"]);
    expect(chosen).toEqual({ language: "ts", files: ["1_a.ts", "2_b.ts"] });
  });

  it("uses .js in a compiled image folder", () => {
    expect(chooseMigrationFiles(["2_b.js", "1_a.js", "1_a.d.ts", "1_a.js.map"])).toEqual({
      language: "js",
      files: ["1_a.js", "2_b.js"],
    });
  });

  it("builds an ignorePattern that node-pg-migrate anchors as ^...$ and keeps only the chosen language", () => {
    const ignored = (language: "ts" | "js", name: string) => new RegExp(`^${ignorePatternFor(language)}$`).test(name);
    expect(ignored("ts", "20261124043000000_a.ts")).toBe(false);
    expect(ignored("ts", "20261124043000000_a.js")).toBe(true);
    expect(ignored("ts", "20261124043000000_a.d.ts")).toBe(true);
    expect(ignored("ts", ".hidden.ts")).toBe(true);
    expect(ignored("js", "20261124043000000_a.js")).toBe(false);
    expect(ignored("js", "20261124043000000_a.ts")).toBe(true);
    expect(ignored("js", "20261124043000000_a.js.map")).toBe(true);
  });

  it("strips the extension to get the name node-pg-migrate records", () => {
    expect(stripExt("20261124043000000_deadlines.ts")).toBe("20261124043000000_deadlines");
    expect(stripExt("20261124043000000_deadlines.js")).toBe("20261124043000000_deadlines");
  });
});

describe("migration order", () => {
  it("reads a 17-digit prefix as a UTC instant", () => {
    expect(migrationPrefixValue("20261124043000123_x")).toBe(Date.UTC(2026, 10, 24, 4, 30, 0, 123));
    expect(migrationPrefixValue("1700000000000_x")).toBe(1_700_000_000_000);
  });

  it("sorts by prefix value, then by name", () => {
    const names = ["20261124043100000_b", "20261124043000000_z", "20261124043100000_a", "20261124042900000_q"];
    expect([...names].sort(compareMigrationNames)).toEqual([
      "20261124042900000_q",
      "20261124043000000_z",
      "20261124043100000_a",
      "20261124043100000_b",
    ]);
  });

  it("refuses a name without a numeric prefix, saying how to create one", () => {
    expect(() => migrationPrefixValue("init")).toThrow(/no numeric prefix.*migrate:create/);
  });
});

describe("readMigrationSet", () => {
  it("lists migrations in the order they apply and hashes their content", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "migrations-"));
    writeFileSync(path.join(dir, "002_b.ts"), "b");
    writeFileSync(path.join(dir, "001_a.ts"), "a");
    writeFileSync(path.join(dir, "types.d.ts"), "x");
    writeFileSync(path.join(dir, "README.md"), "x");
    const first = readMigrationSet(dir);
    expect(first.names).toEqual(["001_a", "002_b"]);
    writeFileSync(path.join(dir, "002_b.ts"), "b changed");
    expect(readMigrationSet(dir).hash).not.toBe(first.hash);
    expect(() => readMigrationSet(path.join(dir, "missing"))).toThrow(/Cannot read the migrations folder/);
  });
});
