import { describe, expect, it } from "vitest";
import { testDatabaseKind, withDatabase } from "../helpers/database.js";

describe("testDatabaseKind", () => {
  it("uses the server when TEST_DATABASE_URL is set, CI or not", () => {
    expect(testDatabaseKind({ TEST_DATABASE_URL: "postgres://h/db" })).toBe("postgres");
    expect(testDatabaseKind({ TEST_DATABASE_URL: "postgres://h/db", CI: "true" })).toBe("postgres");
  });

  it("defaults to PGlite outside CI", () => {
    expect(testDatabaseKind({})).toBe("pglite");
  });

  it("in CI, fails loudly unless the embedded pass is named, saying how to fix it", () => {
    expect(() => testDatabaseKind({ CI: "true" })).toThrow(
      /TEST_DATABASE_URL is not set.*start-postgres.*CONFRADAR_TEST_STORE=pglite/,
    );
    expect(testDatabaseKind({ CI: "true", CONFRADAR_TEST_STORE: "pglite" })).toBe("pglite");
  });
});

describe("withDatabase", () => {
  it("swaps the database name and keeps credentials and options", () => {
    expect(withDatabase("postgres://u:p@127.0.0.1:54329/postgres?sslmode=disable", "confradar_t_x")).toBe(
      "postgres://u:p@127.0.0.1:54329/confradar_t_x?sslmode=disable",
    );
  });
});
