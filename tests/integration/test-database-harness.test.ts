/** The harness itself: each freshDatabase() is migrated to head and isolated from every other. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrationNames, migrationStatus } from "../../app/src/migrate/index.js";
import { freshDatabase, testDatabaseKind, type TestDatabase } from "../helpers/database.js";
import { rows } from "./migrations-support.js";

let a: TestDatabase;
let b: TestDatabase;

beforeAll(async () => {
  [a, b] = await Promise.all([freshDatabase(), freshDatabase()]);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe(`freshDatabase on ${testDatabaseKind()}`, () => {
  it("returns the kind of this run and a postgres:// URL", () => {
    expect(a.kind).toBe(testDatabaseKind());
    expect(a.connectionString).toMatch(/^postgres:\/\//);
    expect(a.connectionString).not.toBe(b.connectionString);
  });

  it("is migrated to head", async () => {
    expect(await migrationStatus({ databaseUrl: a.connectionString })).toEqual({
      applied: await listMigrationNames(),
      pending: [],
    });
  });

  it("is isolated: rows written in one are not in the other", async () => {
    await rows(a.connectionString, "INSERT INTO topics (slug, name) VALUES ('harness-only', 'Harness')");
    expect(await rows(a.connectionString, "SELECT slug FROM topics")).toEqual([{ slug: "harness-only" }]);
    expect(await rows(b.connectionString, "SELECT slug FROM topics")).toEqual([]);
  });

  it("close() removes the database and is safe to call twice", async () => {
    const c = await freshDatabase();
    await c.close();
    await c.close();
    await expect(rows(c.connectionString, "SELECT 1")).rejects.toThrow();
  });
});
