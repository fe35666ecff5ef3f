import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveDatabase } from "../../app/src/store/index.js";
import { defaultPgliteDir, parseDatabaseUrl } from "../../app/src/store/url.js";

describe("parseDatabaseUrl", () => {
  const opts = { cwd: "/work/here", repoRoot: "/repo" };

  it("uses the persistent PGlite folder in the repository when DATABASE_URL is unset or blank", () => {
    expect(parseDatabaseUrl(undefined, opts)).toEqual({ kind: "pglite", dataDir: join("/repo", ".pglite", "confradar") });
    expect(parseDatabaseUrl("  ", opts)).toEqual({ kind: "pglite", dataDir: "/repo/.pglite/confradar" });
    expect(defaultPgliteDir("/r")).toBe("/r/.pglite/confradar");
  });

  it("keeps pglite:memory in memory", () => {
    expect(parseDatabaseUrl("pglite:memory", opts)).toEqual({ kind: "pglite", dataDir: null });
    expect(parseDatabaseUrl("pglite://memory", opts)).toEqual({ kind: "pglite", dataDir: null });
  });

  it("resolves pglite://PATH from cwd and pglite:///abs as absolute", () => {
    expect(parseDatabaseUrl("pglite://data/db", opts)).toEqual({ kind: "pglite", dataDir: "/work/here/data/db" });
    expect(parseDatabaseUrl("pglite:///var/lib/cr", opts)).toEqual({ kind: "pglite", dataDir: "/var/lib/cr" });
    expect(parseDatabaseUrl("pglite://with%20space", opts)).toEqual({ kind: "pglite", dataDir: "/work/here/with space" });
  });

  it("passes postgres:// and postgresql:// through unchanged", () => {
    const url = "postgresql://u:p@127.0.0.1:5432/db?sslmode=disable";
    expect(parseDatabaseUrl(url, opts)).toEqual({ kind: "postgres", url });
    expect(parseDatabaseUrl("postgres://h/db", opts).kind).toBe("postgres");
  });

  it("rejects other schemes and an empty pglite path, saying which forms work", () => {
    expect(() => parseDatabaseUrl("mysql://x/y", opts)).toThrow(/unsupported scheme 'mysql'.*pglite:memory/);
    expect(() => parseDatabaseUrl("sqlite.db", opts)).toThrow(/unsupported scheme '\(none\)'/);
    expect(() => parseDatabaseUrl("pglite://", opts)).toThrow(/names no folder/);
  });
});

describe("resolveDatabase's description of a server", () => {
  it.each([
    ["postgres://app:s3cret@db.local:5432/confradar", "postgres://app:***@db.local:5432/confradar"],
    ["postgres://127.0.0.1:5432/confradar?user=u&password=s3cret", "postgres://127.0.0.1:5432/confradar?user=u&password=***"],
    ["postgres://u:s3cret/x@127.0.0.1:5432/confradar", "postgres://u:***@127.0.0.1:5432/confradar"],
  ])("%s shows no password", async (url, shown) => {
    const store = await resolveDatabase(url);
    expect(store.description).toBe(`PostgreSQL server at ${shown}`);
    expect(store.connectionString).toBe(url); // what pg gets is untouched
  });
});
