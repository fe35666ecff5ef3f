import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../../app/src/api/app.js";
import type { Db } from "../../app/src/db.js";
import { runIngest } from "../../app/src/worker/ingest.js";
import {
  connectionCountingProxy,
  countAll,
  FIXTURE_DATASET,
  openAppDatabase,
  openTestDatabase,
  silentLogger,
  type TestDatabase,
} from "./app-harness.js";

// The fixture's FUTR 2099 has its abstract deadline 10.5 days after this instant.
const NOW = new Date("2099-01-01T00:00:00Z");

let t: TestDatabase;
let app: FastifyInstance;

async function reseed() {
  await t.db.query("TRUNCATE conferences, deadlines, topics, conference_topics, sources, ingest_runs RESTART IDENTITY CASCADE");
  const r = await runIngest({ db: t.db, logger: silentLogger, datasetPath: FIXTURE_DATASET, trigger: "manual" });
  expect(r.status).toBe("succeeded");
}

beforeAll(async () => {
  t = await openTestDatabase();
  app = await buildApp({ db: t.db, logger: silentLogger, now: () => NOW });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const get = (url: string) => app.inject({ method: "GET", url });
const send = (method: "POST" | "PATCH" | "DELETE", url: string, body?: unknown) =>
  app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });

async function idOf(acronym: string, year: number): Promise<number> {
  const { rows } = await t.db.query<{ id: number }>("SELECT id FROM conferences WHERE acronym = $1 AND edition_year = $2", [
    acronym,
    year,
  ]);
  return rows[0]!.id;
}

/** Asserts a 4xx with this exact message and field, and that nothing was written. */
async function expectRejected(
  request: () => Promise<{ statusCode: number; json(): any }>,
  status: number,
  message: string | RegExp,
  field?: string,
) {
  const before = await countAll(t.db);
  const res = await request();
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(body.statusCode).toBe(status);
  if (typeof message === "string") expect(body.message).toBe(message);
  else expect(body.message).toMatch(message);
  if (field !== undefined) expect(body.field).toBe(field);
  expect(await countAll(t.db)).toEqual(before);
  return body;
}

describe("health", () => {
  it("/healthz answers without the database", async () => {
    const res = await get("/healthz");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("/readyz is 200 with the database up and every migration applied", async () => {
    const res = await get("/readyz");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "ready", migrations: { applied: expect.any(Number) } });
    expect(res.json().migrations.applied).toBeGreaterThanOrEqual(5);
  });

  it("/readyz reads the ledger on the app's own pool: repeated probes open no connection", async () => {
    // Every connection the app's database handle makes, its pool's or one of its own through
    // db.connectionString, goes through the proxy and is counted.
    const proxy = await connectionCountingProxy(t.db.connectionString);
    const db = await openAppDatabase(proxy.url, "confradar-readyz-test");
    const probedApp = await buildApp({ db, logger: silentLogger });
    try {
      expect((await probedApp.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
      const warm = proxy.connections;
      expect(warm).toBeGreaterThanOrEqual(1);
      expect(warm).toBeLessThanOrEqual(2);
      for (let i = 0; i < 20; i++) {
        const res = await probedApp.inject({ method: "GET", url: "/readyz" });
        expect(res.statusCode).toBe(200);
        expect(res.json().migrations.applied).toBeGreaterThanOrEqual(5);
      }
      expect(proxy.connections).toBe(warm);
    } finally {
      await probedApp.close();
      await db.close();
      await proxy.close();
    }
  });

  it("/readyz by default is 503 naming a migration missing from the ledger (read on the pool)", async () => {
    const { rows } = await t.db.query<{ id: number; name: string; run_on: string }>(
      "DELETE FROM migration_ledger.pgmigrations WHERE id = (SELECT max(id) FROM migration_ledger.pgmigrations) RETURNING id, name, run_on::text AS run_on",
    );
    const removed = rows[0]!;
    try {
      const res = await get("/readyz");
      expect(res.statusCode).toBe(503);
      expect(res.json().pending).toEqual([removed.name]);
    } finally {
      await t.db.query("INSERT INTO migration_ledger.pgmigrations (id, name, run_on) VALUES ($1, $2, $3::timestamp)", [
        removed.id,
        removed.name,
        removed.run_on,
      ]);
    }
    expect((await get("/readyz")).statusCode).toBe(200);
  });

  it("/readyz is 503 naming pending migrations", async () => {
    const pendingApp = await buildApp({
      db: t.db,
      logger: silentLogger,
      migrationStatus: async () => ({ applied: ["a"], pending: ["20990101000000000_next"] }),
    });
    const res = await pendingApp.inject({ method: "GET", url: "/readyz" });
    await pendingApp.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().reason).toMatch(/1 pending migration\(s\): 20990101000000000_next; run npm run migrate:up/);
  });

  it("/readyz is 503 when the database does not answer, and does not leak the URL's password", async () => {
    const deadDb = {
      ...t.db,
      ping: async () => {
        throw new Error("connect ECONNREFUSED via postgres://app:hunter2@db:5432/x");
      },
    } as Db;
    const deadApp = await buildApp({ db: deadDb, logger: silentLogger });
    const res = await deadApp.inject({ method: "GET", url: "/readyz" });
    await deadApp.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().reason).toMatch(/^database not reachable: connect ECONNREFUSED/);
    expect(res.body).not.toContain("hunter2");
  });

  it("/readyz says which kind of store and whether it is ready, never where it is", async () => {
    // The store's description carries the PGlite folder's full path: fine in the start-up log,
    // not in an answer to whoever reaches the port.
    const folder = "/home/someone/private/confradar-store";
    const pgliteDb = { ...t.db, kind: "pglite", description: `embedded PGlite in ${folder} (served on 127.0.0.1:5)` } as Db;
    const pgliteApp = await buildApp({ db: pgliteDb, logger: silentLogger });
    const res = await pgliteApp.inject({ method: "GET", url: "/readyz" });
    await pgliteApp.close();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ready", store: "pglite", migrations: { applied: expect.any(Number) } });
    expect(res.body).not.toContain("someone");
  });

  it("/readyz shows no password when DATABASE_URL has it as a ?password= query parameter", async () => {
    const url = new URL(t.db.connectionString);
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password) || "q-secret-pglite-asks-for-none";
    url.username = "";
    url.password = "";
    url.searchParams.set("user", user);
    url.searchParams.set("password", password);
    const db = await openAppDatabase(url.toString(), "confradar-readyz-query-password");
    const queryApp = await buildApp({ db, logger: silentLogger });
    try {
      const res = await queryApp.inject({ method: "GET", url: "/readyz" });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: "ready", store: "postgres", migrations: { applied: expect.any(Number) } });
      expect(res.body).not.toContain(password);
    } finally {
      await queryApp.close();
      await db.close();
    }
  });

  it("/readyz is 503 when a probe hangs past its bound", async () => {
    const slowApp = await buildApp({
      db: t.db,
      logger: silentLogger,
      probeTimeoutMs: 50,
      migrationStatus: () => new Promise(() => undefined),
    });
    const res = await slowApp.inject({ method: "GET", url: "/readyz" });
    await slowApp.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().reason).toMatch(/did not answer within 50 ms/);
  });
});

describe("GET /api/conferences", () => {
  beforeAll(reseed);

  it("lists conferences with topics, source and next deadline, ordered by start date", async () => {
    const res = await get("/api/conferences");
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ total: 3, limit: 20, offset: 0, next_offset: null });
    expect(body.items.map((c: any) => `${c.acronym} ${c.year}`)).toEqual(["FUTR 2099", "SHRD 2099", "PAST 2001"]);
    expect(body.items[0]).toMatchObject({
      name: "Conference on Future Things",
      website: "https://futr.example.org/2099",
      city: "Lisbon",
      format: "hybrid",
      start_date: "2099-06-01",
      end_date: "2099-06-05",
      dates_estimated: false,
      topics: [
        { slug: "databases", name: "Databases" },
        { slug: "machine-learning", name: "Machine Learning" },
      ],
      source: { url: "https://futr.example.org/2099/cfp", dataset_name: "app-test-fixture", dataset_version: "1.0.0" },
      next_deadline: { kind: "abstract", due_at: "2099-01-11T11:59:59.000Z", timezone: "AoE", estimated: false },
    });
    expect(body.items[2]).toMatchObject({ acronym: "PAST", start_date: null, dates_estimated: true, next_deadline: null });
  });

  it.each([
    ["q=futr", ["FUTR"]],
    ["q=SYMPOSIUM", ["PAST"]],
    ["q=things", ["FUTR", "PAST"]],
    ["q=%25", []],
    ["q=_", []],
    ["topic=security", ["PAST"]],
    ["topic=databases", ["FUTR"]],
    ["topic=robotics", []],
    ["year=2099", ["FUTR", "SHRD"]],
    ["year=2001", ["PAST"]],
    ["deadline_within_days=11", ["FUTR"]],
    ["deadline_within_days=10", []],
    ["deadline_within_days=0", []],
    ["q=f&year=2099&topic=machine-learning&deadline_within_days=30", ["FUTR"]],
  ])("filters: %s", async (query, expected) => {
    const res = await get(`/api/conferences?${query}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((c: any) => c.acronym)).toEqual(expected);
    expect(res.json().total).toBe(expected.length);
  });

  it("paginates with limit and offset and reports the total", async () => {
    const first = (await get("/api/conferences?limit=2")).json();
    expect(first).toMatchObject({ total: 3, limit: 2, offset: 0, next_offset: 2 });
    expect(first.items.map((c: any) => c.acronym)).toEqual(["FUTR", "SHRD"]);
    const second = (await get("/api/conferences?limit=2&offset=2")).json();
    expect(second).toMatchObject({ total: 3, offset: 2, next_offset: null });
    expect(second.items.map((c: any) => c.acronym)).toEqual(["PAST"]);
    const beyond = (await get("/api/conferences?offset=10")).json();
    expect(beyond).toMatchObject({ total: 3, items: [], next_offset: null });
    expect((await get("/api/conferences?limit=100")).statusCode).toBe(200);
  });

  it.each([
    ["limit=101", "limit: must be <= 100", "limit"],
    ["limit=0", "limit: must be >= 1", "limit"],
    ["offset=-1", "offset: must be >= 0", "offset"],
    ["year=abc", "year: must be an integer", "year"],
    ["year=1800", "year: must be >= 1950", "year"],
    ["topic=Not%20A%20Slug", "topic: must be a slug like machine-learning (a-z, 0-9, single dashes)", "topic"],
    ["deadline_within_days=x", "deadline_within_days: must be an integer", "deadline_within_days"],
    ["sort=name", "sort: is not a known field", "sort"],
    ["limit=1&limit=2", "limit: must be a string, not an array", "limit"],
  ])("rejects %s with 400: %s", async (query, message, field) => {
    await expectRejected(() => get(`/api/conferences?${query}`), 400, message, field);
  });
});

describe("GET /api/conferences/:id", () => {
  beforeAll(reseed);

  it("returns the conference with its deadlines and topics", async () => {
    const id = await idOf("FUTR", 2099);
    const res = await get(`/api/conferences/${id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      id,
      acronym: "FUTR",
      year: 2099,
      topics: [{ slug: "databases" }, { slug: "machine-learning" }],
    });
    expect(body.deadlines).toEqual([
      expect.objectContaining({
        kind: "abstract",
        due_at: "2099-01-11T11:59:59.000Z",
        timezone: "AoE",
        estimated: false,
        note: null,
        conference_id: id,
      }),
      expect.objectContaining({
        kind: "paper",
        due_at: "2099-01-18T11:59:59.000Z",
        estimated: true,
        note: "projected from last year",
      }),
    ]);
  });

  it("404s an unknown id and 400s a malformed one", async () => {
    await expectRejected(() => get("/api/conferences/999999"), 404, "conference 999999 not found");
    await expectRejected(() => get("/api/conferences/abc"), 400, "id: must be an integer", "id");
    await expectRejected(() => get("/api/conferences/0"), 400, "id: must be >= 1", "id");
  });

  it("says once that an id past 2^53 is too large", async () => {
    await expectRejected(() => get("/api/conferences/9223372036854775808"), 400, "id: must be <= 9007199254740991", "id");
    await expectRejected(() => get("/api/conferences/-9223372036854775808"), 400, "id: must be >= 1", "id");
    await expectRejected(() => get("/api/conferences?limit=9223372036854775808"), 400, "limit: must be <= 100", "limit");
  });
});

describe("POST /api/conferences", () => {
  beforeEach(reseed);

  it("creates a conference with topics and returns it with its location", async () => {
    const res = await send("POST", "/api/conferences", {
      acronym: "NEWC",
      name: "New Conference",
      year: 2099,
      website: "https://newc.example.org",
      format: "online",
      start_date: "2099-03-01",
      end_date: "2099-03-02",
      topics: ["security", "databases"],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/conferences/${body.id}`);
    expect(body).toMatchObject({
      acronym: "NEWC",
      year: 2099,
      format: "online",
      city: null,
      dates_estimated: false,
      source: null,
      deadlines: [],
      topics: [{ slug: "databases" }, { slug: "security" }],
    });
    expect((await get(`/api/conferences/${body.id}`)).json().name).toBe("New Conference");
  });

  it("applies defaults for optional fields", async () => {
    const res = await send("POST", "/api/conferences", { acronym: "MIN", name: "Minimal", year: 2030 });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ format: "in_person", website: null, start_date: null, topics: [] });
  });

  it.each<[string, unknown, string, string]>([
    ["missing acronym", { name: "x", year: 2099 }, "acronym: is required", "acronym"],
    ["blank acronym", { acronym: "  ", name: "x", year: 2099 }, "acronym: must not be empty", "acronym"],
    ["long acronym", { acronym: "A".repeat(33), name: "x", year: 2099 }, "acronym: must be at most 32 characters", "acronym"],
    ["year out of range", { acronym: "A", name: "x", year: 2201 }, "year: must be <= 2200", "year"],
    ["year as text", { acronym: "A", name: "x", year: "2099" }, "year: must be a number, not a string", "year"],
    [
      "bad website",
      { acronym: "A", name: "x", year: 2099, website: "javascript:alert(1)" },
      "website: must be an http:// or https:// URL",
      "website",
    ],
    [
      "bad format",
      { acronym: "A", name: "x", year: 2099, format: "zoom" },
      'format: must be one of "in_person", "online", "hybrid"',
      "format",
    ],
    [
      "bad date",
      { acronym: "A", name: "x", year: 2099, start_date: "2099-13-01" },
      "start_date: must be a date in the form YYYY-MM-DD",
      "start_date",
    ],
    [
      "end before start",
      { acronym: "A", name: "x", year: 2099, start_date: "2099-03-02", end_date: "2099-03-01" },
      "end_date: must be on or after start_date",
      "end_date",
    ],
    ["unknown field", { acronym: "A", name: "x", year: 2099, edition: 3 }, "edition: is not a known field", "edition"],
    [
      "unknown topic",
      { acronym: "A", name: "x", year: 2099, topics: ["security", "basket-weaving"] },
      'topics: unknown topic slug "basket-weaving" (see GET /api/topics)',
      "topics",
    ],
    [
      "bad topic slug",
      { acronym: "A", name: "x", year: 2099, topics: ["Bad Slug"] },
      "topics.0: must be a slug like machine-learning (a-z, 0-9, single dashes)",
      "topics.0",
    ],
    ["not an object", [1, 2], "body: must be an object, not an array", "body"],
  ])("400 for %s, nothing written", async (_what, body, message, field) => {
    await expectRejected(() => send("POST", "/api/conferences", body), 400, message, field);
  });

  it("400 for malformed JSON and for no body", async () => {
    await expectRejected(
      () =>
        app.inject({
          method: "POST",
          url: "/api/conferences",
          headers: { "content-type": "application/json" },
          payload: '{"acronym": ',
        }),
      400,
      /^body: is not valid JSON \(.+\)$/,
      "body",
    );
    await expectRejected(() => app.inject({ method: "POST", url: "/api/conferences" }), 400, "body: is required", "body");
  });

  it.each([
    ["text/csv", "a,b"],
    ["text/plain", JSON.stringify({ acronym: "TXT", name: "Plain", year: 2099 })],
    ["application/x-www-form-urlencoded", "acronym=FORM&name=Form&year=2099"],
  ])("415 for a %s body: only JSON is read", async (type, payload) => {
    await expectRejected(
      () => app.inject({ method: "POST", url: "/api/conferences", headers: { "content-type": type }, payload }),
      415,
      `body: Unsupported Media Type: ${type} (the API reads application/json)`,
      "body",
    );
  });

  it.each([
    ['{"acronym":"P","name":"x","year":2099,"__proto__":{"admin":true}}', "__proto__"],
    ['{"acronym":"P","name":"x","year":2099,"constructor":{"prototype":{"admin":true}}}', "constructor"],
  ])("400 naming a prototype key as the unknown field it is: %s", async (payload, field) => {
    await expectRejected(
      () => app.inject({ method: "POST", url: "/api/conferences", headers: { "content-type": "application/json" }, payload }),
      400,
      `${field}: is not a known field`,
      field,
    );
  });

  it("409 for a duplicate (acronym, year)", async () => {
    await expectRejected(
      () => send("POST", "/api/conferences", { acronym: "FUTR", name: "Again", year: 2099 }),
      409,
      'acronym: a conference with acronym "FUTR" and year 2099 already exists',
      "acronym",
    );
  });
});

describe("PATCH /api/conferences/:id", () => {
  beforeEach(reseed);

  it("changes only the given fields and replaces topics", async () => {
    const id = await idOf("FUTR", 2099);
    const res = await send("PATCH", `/api/conferences/${id}`, { city: "Porto", dates_estimated: true, topics: ["security"] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id,
      acronym: "FUTR",
      city: "Porto",
      country: "Portugal",
      dates_estimated: true,
      topics: [{ slug: "security" }],
    });
    expect(res.json().deadlines).toHaveLength(2);
  });

  it("clears a nullable field with null", async () => {
    const id = await idOf("FUTR", 2099);
    expect((await send("PATCH", `/api/conferences/${id}`, { website: null })).json().website).toBeNull();
  });

  it("400 with the constraint's field when the change breaks a database rule", async () => {
    const id = await idOf("FUTR", 2099);
    // Only end_date is sent, so the API cannot see the stored start_date: the database's check does.
    const body = await expectRejected(
      () => send("PATCH", `/api/conferences/${id}`, { end_date: "2099-05-01" }),
      400,
      "end_date: end_date must be on or after start_date (check constraint conferences_dates_order)",
      "end_date",
    );
    expect(body.error).toBe("Bad Request");
    expect((await get(`/api/conferences/${id}`)).json().end_date).toBe("2099-06-05");
  });

  it("400 for bad input, 404 for an unknown id, 409 for a duplicate", async () => {
    const id = await idOf("FUTR", 2099);
    await expectRejected(
      () => send("PATCH", `/api/conferences/${id}`, {}),
      400,
      "body: must contain at least one field to change",
      "body",
    );
    await expectRejected(
      () => send("PATCH", `/api/conferences/${id}`, { format: "virtual" }),
      400,
      /^format: must be one of/,
      "format",
    );
    await expectRejected(
      () => send("PATCH", `/api/conferences/${id}`, { topics: ["nope"] }),
      400,
      /^topics: unknown topic slug "nope"/,
      "topics",
    );
    await expectRejected(() => send("PATCH", "/api/conferences/424242", { city: "X" }), 404, "conference 424242 not found");
    await expectRejected(
      () => send("PATCH", `/api/conferences/${id}`, { acronym: "SHRD" }),
      409,
      'acronym: a conference with acronym "SHRD" and year 2099 already exists',
      "acronym",
    );
    expect((await get(`/api/conferences/${id}`)).json()).toMatchObject({
      acronym: "FUTR",
      topics: [{ slug: "databases" }, { slug: "machine-learning" }],
    });
  });
});

describe("DELETE /api/conferences/:id", () => {
  beforeEach(reseed);

  it("deletes the conference with its deadlines and topic links, then 404s", async () => {
    const id = await idOf("FUTR", 2099);
    const res = await send("DELETE", `/api/conferences/${id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe("");
    const counts = await countAll(t.db);
    expect(counts).toMatchObject({ conferences: 2, deadlines: 1, conference_topics: 1, topics: 3 });
    await expectRejected(() => send("DELETE", `/api/conferences/${id}`), 404, `conference ${id} not found`);
    await expectRejected(() => get(`/api/conferences/${id}`), 404, `conference ${id} not found`);
  });
});

describe("deadlines of a conference", () => {
  beforeEach(reseed);

  it("lists them in due order", async () => {
    const id = await idOf("FUTR", 2099);
    const res = await get(`/api/conferences/${id}/deadlines`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((d: any) => d.kind)).toEqual(["abstract", "paper"]);
    await expectRejected(() => get("/api/conferences/31337/deadlines"), 404, "conference 31337 not found");
  });

  it("creates one, with defaults", async () => {
    const id = await idOf("SHRD", 2099);
    const res = await send("POST", `/api/conferences/${id}/deadlines`, { kind: "paper", due_at: "2099-05-01T23:59:59-12:00" });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/api/conferences/${id}/deadlines/${res.json().id}`);
    expect(res.json()).toMatchObject({
      conference_id: id,
      kind: "paper",
      due_at: "2099-05-02T11:59:59.000Z",
      timezone: "AoE",
      estimated: false,
      note: null,
    });
  });

  it("rejects bad input (400), an unknown conference (404) and a second deadline of a kind (409)", async () => {
    const id = await idOf("FUTR", 2099);
    await expectRejected(
      () => send("POST", `/api/conferences/${id}/deadlines`, { kind: "poster", due_at: "2099-05-01T00:00:00Z" }),
      400,
      /^kind: must be one of "abstract"/,
      "kind",
    );
    await expectRejected(
      () => send("POST", `/api/conferences/${id}/deadlines`, { kind: "rebuttal", due_at: "2099-05-01" }),
      400,
      "due_at: must be an ISO 8601 date-time with an offset, e.g. 2026-05-11T23:59:59-12:00",
      "due_at",
    );
    await expectRejected(
      () => send("POST", `/api/conferences/${id}/deadlines`, { kind: "rebuttal", due_at: "2099-05-01T00:00:00Z", timezone: "" }),
      400,
      "timezone: must not be empty",
      "timezone",
    );
    await expectRejected(
      () => send("POST", "/api/conferences/999/deadlines", { kind: "paper", due_at: "2099-05-01T00:00:00Z" }),
      404,
      "conference 999 not found",
    );
    await expectRejected(
      () => send("POST", `/api/conferences/${id}/deadlines`, { kind: "paper", due_at: "2099-05-01T00:00:00Z" }),
      409,
      `kind: conference ${id} already has a paper deadline`,
      "kind",
    );
  });

  it("updates one, and refuses a kind the conference already has", async () => {
    const id = await idOf("FUTR", 2099);
    const [abstract] = (await get(`/api/conferences/${id}/deadlines`)).json().items;
    const res = await send("PATCH", `/api/conferences/${id}/deadlines/${abstract.id}`, {
      estimated: true,
      note: "moved",
      due_at: "2099-01-12T23:59:59-12:00",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: abstract.id,
      kind: "abstract",
      estimated: true,
      note: "moved",
      due_at: "2099-01-13T11:59:59.000Z",
    });
    await expectRejected(
      () => send("PATCH", `/api/conferences/${id}/deadlines/${abstract.id}`, { kind: "paper" }),
      409,
      `kind: conference ${id} already has a paper deadline`,
      "kind",
    );
    await expectRejected(
      () => send("PATCH", `/api/conferences/${id}/deadlines/${abstract.id}`, {}),
      400,
      "body: must contain at least one field to change",
      "body",
    );
    await expectRejected(
      () => send("PATCH", `/api/conferences/${id}/deadlines/${abstract.id}`, { estimated: "yes" }),
      400,
      "estimated: must be a boolean, not a string",
      "estimated",
    );
  });

  it("404s a deadline of another conference", async () => {
    const futr = await idOf("FUTR", 2099);
    const past = await idOf("PAST", 2001);
    const [pastDeadline] = (await get(`/api/conferences/${past}/deadlines`)).json().items;
    await expectRejected(
      () => send("PATCH", `/api/conferences/${futr}/deadlines/${pastDeadline.id}`, { note: "x" }),
      404,
      `deadline ${pastDeadline.id} of conference ${futr} not found`,
    );
    await expectRejected(
      () => send("DELETE", `/api/conferences/${futr}/deadlines/${pastDeadline.id}`),
      404,
      `deadline ${pastDeadline.id} of conference ${futr} not found`,
    );
    await expectRejected(
      () => send("DELETE", `/api/conferences/${futr}/deadlines/abc`),
      400,
      "deadlineId: must be an integer",
      "deadlineId",
    );
  });

  it("deletes one, then 404s it", async () => {
    const id = await idOf("FUTR", 2099);
    const [abstract] = (await get(`/api/conferences/${id}/deadlines`)).json().items;
    expect((await send("DELETE", `/api/conferences/${id}/deadlines/${abstract.id}`)).statusCode).toBe(204);
    expect((await get(`/api/conferences/${id}/deadlines`)).json().items.map((d: any) => d.kind)).toEqual(["paper"]);
    await expectRejected(
      () => send("DELETE", `/api/conferences/${id}/deadlines/${abstract.id}`),
      404,
      `deadline ${abstract.id} of conference ${id} not found`,
    );
  });
});

describe("GET /api/deadlines/upcoming", () => {
  beforeAll(reseed);

  it("lists deadlines from now within N days, soonest first, with their conference", async () => {
    const res = await get("/api/deadlines/upcoming?days=30");
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ now: NOW.toISOString(), days: 30 });
    expect(body.items).toEqual([
      expect.objectContaining({
        kind: "abstract",
        due_at: "2099-01-11T11:59:59.000Z",
        estimated: false,
        conference: expect.objectContaining({ acronym: "FUTR", year: 2099 }),
      }),
      expect.objectContaining({ kind: "paper", due_at: "2099-01-18T11:59:59.000Z", estimated: true }),
    ]);
  });

  it("respects the window, the default and the limit", async () => {
    expect((await get("/api/deadlines/upcoming?days=11")).json().items).toHaveLength(1);
    expect((await get("/api/deadlines/upcoming?days=10")).json().items).toHaveLength(0);
    expect((await get("/api/deadlines/upcoming")).json()).toMatchObject({ days: 30 });
    expect((await get("/api/deadlines/upcoming?limit=1")).json().items).toHaveLength(1);
  });

  it("400s bad parameters", async () => {
    await expectRejected(() => get("/api/deadlines/upcoming?days=0"), 400, "days: must be >= 1", "days");
    await expectRejected(() => get("/api/deadlines/upcoming?days=9999"), 400, "days: must be <= 3660", "days");
    await expectRejected(() => get("/api/deadlines/upcoming?window=3"), 400, "window: is not a known field", "window");
  });
});

describe("GET /api/topics and /api/ingest-runs", () => {
  beforeAll(reseed);

  it("lists topics with their conference counts", async () => {
    const res = await get("/api/topics");
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((t: any) => [t.slug, t.conference_count])).toEqual([
      ["databases", 1],
      ["machine-learning", 1],
      ["security", 1],
    ]);
    await expectRejected(() => get("/api/topics?limit=5"), 400, "limit: is not a known field", "limit");
  });

  it("lists ingest runs, newest first, with their counts", async () => {
    await runIngest({ db: t.db, logger: silentLogger, datasetPath: FIXTURE_DATASET, trigger: "schedule" });
    const res = await get("/api/ingest-runs");
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items[0]).toMatchObject({
      status: "succeeded",
      trigger: "schedule",
      rows_inserted: 0,
      rows_updated: 0,
      rows_unchanged: 14,
      error: null,
    });
    expect(items[1]).toMatchObject({ trigger: "manual", rows_inserted: 14 });
    expect(new Date(items[0].finished_at).getTime()).toBeGreaterThanOrEqual(new Date(items[0].started_at).getTime());
    expect((await get("/api/ingest-runs?limit=1")).json().items).toHaveLength(1);
    await expectRejected(() => get("/api/ingest-runs?limit=500"), 400, "limit: must be <= 100", "limit");
  });
});

describe("a NUL character (\\u0000), which PostgreSQL cannot store in text", () => {
  beforeEach(reseed);
  const NUL = "must not contain a NUL character (\\u0000)";

  it.each<[string, Record<string, unknown>]>([
    ["acronym", { acronym: "A\u0000B", name: "x", year: 2099 }],
    ["name", { acronym: "NUL", name: "x\u0000", year: 2099 }],
    ["website", { acronym: "NUL", name: "x", year: 2099, website: "https://nul.example.org/\u0000" }],
    ["city", { acronym: "NUL", name: "x", year: 2099, city: "\u0000" }],
    ["country", { acronym: "NUL", name: "x", year: 2099, country: "Port\u0000ugal" }],
  ])("POST /api/conferences: 400 naming %s", async (field, body) => {
    await expectRejected(() => send("POST", "/api/conferences", body), 400, `${field}: ${NUL}`, field);
  });

  it("400 naming the field in a PATCH, in a deadline and in ?q=", async () => {
    const id = await idOf("FUTR", 2099);
    await expectRejected(() => send("PATCH", `/api/conferences/${id}`, { name: "\u0000" }), 400, `name: ${NUL}`, "name");
    await expectRejected(
      () =>
        send("POST", `/api/conferences/${id}/deadlines`, { kind: "rebuttal", due_at: "2099-03-01T00:00:00Z", note: "a\u0000" }),
      400,
      `note: ${NUL}`,
      "note",
    );
    await expectRejected(
      () =>
        send("POST", `/api/conferences/${id}/deadlines`, {
          kind: "rebuttal",
          due_at: "2099-03-01T00:00:00Z",
          timezone: "UTC\u0000",
        }),
      400,
      `timezone: ${NUL}`,
      "timezone",
    );
    await expectRejected(() => get("/api/conferences?q=%00"), 400, `q: ${NUL}`, "q");
    await expectRejected(() => get("/api/conferences?q=a%00b"), 400, `q: ${NUL}`, "q");
  });
});

describe("what the data must be (acronym case, dates near the edition, time zone labels)", () => {
  beforeEach(reseed);

  it("409 for an acronym that differs only in case from one of the same year", async () => {
    await expectRejected(
      () => send("POST", "/api/conferences", { acronym: "futr", name: "Again", year: 2099 }),
      409,
      'acronym: a conference with acronym "futr" and year 2099 already exists',
      "acronym",
    );
    const shrd = await idOf("SHRD", 2099);
    await expectRejected(
      () => send("PATCH", `/api/conferences/${shrd}`, { acronym: "Futr" }),
      409,
      'acronym: a conference with acronym "Futr" and year 2099 already exists',
      "acronym",
    );
    // Its own acronym in another case is a rename, not a duplicate; another year is another edition.
    const futr = await idOf("FUTR", 2099);
    expect((await send("PATCH", `/api/conferences/${futr}`, { acronym: "Futr" })).json().acronym).toBe("Futr");
    expect((await send("POST", "/api/conferences", { acronym: "futr", name: "Next", year: 2100 })).statusCode).toBe(201);
  });

  it("400 for conference dates more than a year away from the edition year", async () => {
    await expectRejected(
      () => send("POST", "/api/conferences", { acronym: "FAR", name: "x", year: 2099, start_date: "2105-06-01" }),
      400,
      "start_date: must be within a year of the edition year 2099 (2098-01-01 to 2100-12-31)",
      "start_date",
    );
    await expectRejected(
      () =>
        send("POST", "/api/conferences", {
          acronym: "FAR",
          name: "x",
          year: 2026,
          start_date: "2026-06-01",
          end_date: "2030-06-01",
        }),
      400,
      "end_date: must be within a year of the edition year 2026 (2025-01-01 to 2027-12-31)",
      "end_date",
    );
    // A PATCH of the dates alone: the API does not see the stored year, the database's check does.
    const futr = await idOf("FUTR", 2099);
    await expectRejected(
      () => send("PATCH", `/api/conferences/${futr}`, { end_date: "2104-06-05" }),
      400,
      "end_date: end_date must be within a year of the conference's year (check constraint conferences_end_date_near_edition)",
      "end_date",
    );
    // A year of its own: a conference across New Year, and one a year early, are fine.
    const ok = await send("POST", "/api/conferences", {
      acronym: "NYE",
      name: "x",
      year: 2099,
      start_date: "2099-12-30",
      end_date: "2100-01-02",
    });
    expect(ok.statusCode).toBe(201);
  });

  it.each([["0001-01-01T00:00:00Z"], ["9999-12-31T23:59:59Z"], ["2090-05-01T23:59:59-12:00"]])(
    "400 for a deadline due at %s, years away from the 2099 edition",
    async (due_at) => {
      const futr = await idOf("FUTR", 2099);
      await expectRejected(
        () => send("POST", `/api/conferences/${futr}/deadlines`, { kind: "rebuttal", due_at }),
        400,
        "due_at: must fall in 2097 to 2100 (UTC) for a 2099 conference: deadlines come at most two years before and one year after the edition year",
        "due_at",
      );
    },
  );

  it("400 for a year that leaves the conference's deadlines years away", async () => {
    const past = await idOf("PAST", 2001); // no dates, one deadline in 2001
    await expectRejected(
      () => send("PATCH", `/api/conferences/${past}`, { year: 2010 }),
      400,
      /^year: the conference's paper deadline \(2001-02-01\) would be years away from 2010/,
      "year",
    );
  });

  it.each<[string, Record<string, unknown>, string | RegExp]>([
    [
      "AoE on +09:00",
      { due_at: "2099-03-01T23:59:59+09:00", timezone: "AoE" },
      "timezone: AoE is UTC-12:00, but due_at is written with the offset +09:00",
    ],
    ["PST in summer time", { due_at: "2099-07-01T23:59:59-07:00", timezone: "PST" }, /^timezone: PST is UTC-08:00, but due_at/],
    [
      "an IANA zone at the wrong offset",
      { due_at: "2099-01-15T12:00:00+02:00", timezone: "Europe/Berlin" },
      "timezone: Europe/Berlin is UTC+01:00 on 2099-01-15, but due_at is written with the offset +02:00",
    ],
    [
      "an unknown label",
      { due_at: "2099-03-01T00:00:00Z", timezone: "Mars/Olympus" },
      /^timezone: "Mars\/Olympus" is not a known time zone/,
    ],
    [
      "a made-up abbreviation",
      { due_at: "2099-03-01T00:00:00Z", timezone: "XYZT" },
      /^timezone: "XYZT" is not a known time zone/,
    ],
  ])("400 for a time zone label that contradicts the offset or is unknown: %s", async (_what, fields, message) => {
    const futr = await idOf("FUTR", 2099);
    await expectRejected(
      () => send("POST", `/api/conferences/${futr}/deadlines`, { kind: "rebuttal", ...fields }),
      400,
      message,
      "timezone",
    );
  });

  it("accepts a label that matches the offset, and without one names the offset", async () => {
    const futr = await idOf("FUTR", 2099);
    const created = async (fields: Record<string, unknown>, kind: string) => {
      const res = await send("POST", `/api/conferences/${futr}/deadlines`, { kind, ...fields });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().timezone as string;
    };
    expect(await created({ due_at: "2099-07-01T23:59:59-07:00", timezone: "PDT" }, "rebuttal")).toBe("PDT");
    expect(await created({ due_at: "2099-07-01T23:59:59+02:00", timezone: "europe/berlin" }, "supplementary")).toBe(
      "Europe/Berlin",
    );
    expect(await created({ due_at: "2099-03-01T12:00:00Z" }, "notification")).toBe("UTC");
    expect(await created({ due_at: "2099-03-01T12:00:00+05:30" }, "camera_ready")).toBe("UTC+05:30");
  });

  it("checks a new due_at against the stored label, and a new label on its own only for being known", async () => {
    const futr = await idOf("FUTR", 2099);
    const [abstract] = (await get(`/api/conferences/${futr}/deadlines`)).json().items; // AoE
    await expectRejected(
      () => send("PATCH", `/api/conferences/${futr}/deadlines/${abstract.id}`, { due_at: "2099-01-12T23:59:59+09:00" }),
      400,
      "timezone: AoE is UTC-12:00, but due_at is written with the offset +09:00",
      "timezone",
    );
    const both = await send("PATCH", `/api/conferences/${futr}/deadlines/${abstract.id}`, {
      due_at: "2099-01-12T23:59:59+09:00",
      timezone: "JST",
    });
    expect(both.json()).toMatchObject({ timezone: "JST", due_at: "2099-01-12T14:59:59.000Z" });
    expect((await send("PATCH", `/api/conferences/${futr}/deadlines/${abstract.id}`, { timezone: "UTC" })).statusCode).toBe(200);
    await expectRejected(
      () => send("PATCH", `/api/conferences/${futr}/deadlines/${abstract.id}`, { timezone: "Nowhere" }),
      400,
      /^timezone: "Nowhere" is not a known time zone/,
      "timezone",
    );
  });
});

describe("requests from other pages in the browser (Host and Origin)", () => {
  beforeEach(reseed);
  const body = { acronym: "XSITE", name: "Cross-site", year: 2099 };
  const post = (headers: Record<string, string>) =>
    app.inject({ method: "POST", url: "/api/conferences", headers, payload: body });

  it("403 for a Host that is not one of the server's names (DNS rebinding), reads and writes alike", async () => {
    await expectRejected(
      () => post({ host: "evil.example:3000" }),
      403,
      'host: this server does not answer to "evil.example"; if that is one of its names, add it to ALLOWED_HOSTS',
      "host",
    );
    expect((await app.inject({ method: "GET", url: "/api/conferences", headers: { host: "evil.example" } })).statusCode).toBe(
      403,
    );
    const rebound = await app.inject({ method: "GET", url: "/", headers: { host: "rebind.attacker.test:3080" } });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answers the loopback names on any port, and the names in ALLOWED_HOSTS", async () => {
    for (const host of ["127.0.0.1:3080", "localhost", "LOCALHOST:56080", "[::1]:3000"]) {
      expect((await app.inject({ method: "GET", url: "/healthz", headers: { host } })).statusCode, host).toBe(200);
    }
    const named = await buildApp({ db: t.db, logger: silentLogger, now: () => NOW, allowedHosts: ["confradar-ci-api"] });
    try {
      expect(
        (await named.inject({ method: "GET", url: "/healthz", headers: { host: "confradar-ci-api:3000" } })).statusCode,
      ).toBe(200);
      expect((await named.inject({ method: "GET", url: "/healthz", headers: { host: "127.0.0.1:3000" } })).statusCode).toBe(200);
      expect((await named.inject({ method: "GET", url: "/healthz", headers: { host: "other:3000" } })).statusCode).toBe(403);
    } finally {
      await named.close();
    }
  });

  it("403 for a write whose Origin is another site, 201 for the page's own origin", async () => {
    await expectRejected(
      () => post({ host: "127.0.0.1:3080", origin: "http://localhost:8000" }),
      403,
      'origin: a write from the page at "http://localhost:8000" is refused: only this server\'s own pages may write',
      "origin",
    );
    await expectRejected(() => post({ host: "127.0.0.1:3080", origin: "null" }), 403, /^origin: /, "origin");
    expect((await post({ host: "127.0.0.1:3080", origin: "http://127.0.0.1:3080" })).statusCode).toBe(201);
  });

  it("sends security headers: a CSP that lets the page's own style and script in and nothing else, nosniff, no framing", async () => {
    const page = await app.inject({ method: "GET", url: "/" });
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain("unsafe-inline");
    // The page's one inline <style> is allowed by its hash, so the browser applies it.
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.body)![1]!;
    expect(csp).toContain(`'sha256-${createHash("sha256").update(style).digest("base64")}'`);
    // Its one script is a file from this server (script-src 'self'); no inline script or handler
    // attribute, which the CSP would block.
    expect(csp).toContain("script-src 'self'");
    expect(page.body.match(/<script[^>]*>[\s\S]*?<\/script>/gi)).toEqual([
      expect.stringMatching(/^<script src="\/assets\/page-[0-9a-f]{12}\.js" defer><\/script>$/),
    ]);
    expect(page.body).not.toMatch(/\son[a-z]+=/i);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    const api = await get("/api/topics");
    expect(api.headers["x-content-type-options"]).toBe("nosniff");
    expect(api.headers["content-security-policy"]).toContain("default-src 'none'");
  });
});

describe("unknown routes", () => {
  it("404 with the method and path", async () => {
    await expectRejected(() => get("/api/nothing?x=1"), 404, "no route GET /api/nothing");
  });
});
