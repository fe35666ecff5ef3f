import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATE_CLI, start, waitFor } from "./processes.js";

describe("the app processes", () => {
  it("api: serves the page on embedded storage, then shuts down cleanly on SIGTERM", async () => {
    const run = start(["api"], { DATABASE_URL: "pglite:memory", PORT: "0", LOG_LEVEL: "info" });
    try {
      const store = await waitFor(run, /"msg":"store: ([^"]+)"/);
      expect(store[1]).toMatch(/^embedded PGlite in memory/);
      const [, url] = await waitFor(run, /ConfRadar api listening on (http:\/\/127\.0\.0\.1:\d+\/)/);
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1><a href="/">ConfRadar</a></h1>');
      expect((await fetch(`${url}readyz`)).status).toBe(200);
      run.child.kill("SIGTERM");
      expect(await run.exit).toEqual({ code: 0, signal: null });
      expect(run.output()).toMatch(/"signal":"SIGTERM".*shutting down/);
      expect(run.output()).toContain("shut down cleanly");
    } finally {
      run.child.kill("SIGKILL");
    }
  });

  it("worker: writes its heartbeat, then stops on SIGINT and removes it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "confradar-proc-"));
    const heartbeat = path.join(dir, "hb");
    const run = start(["worker"], {
      DATABASE_URL: "pglite:memory",
      INGEST_INTERVAL_SECONDS: "0",
      WORKER_HEARTBEAT_FILE: heartbeat,
      LOG_LEVEL: "info",
    });
    try {
      await waitFor(run, /no scheduled ingest/);
      const health = start(["healthcheck", "worker"], { WORKER_HEARTBEAT_FILE: heartbeat });
      expect((await health.exit).code).toBe(0);
      expect(health.output()).toMatch(/worker heartbeat \d+ s old/);
      run.child.kill("SIGINT");
      expect(await run.exit).toEqual({ code: 0, signal: null });
      const after = start(["healthcheck", "worker"], { WORKER_HEARTBEAT_FILE: heartbeat });
      expect((await after.exit).code).toBe(1);
    } finally {
      run.child.kill("SIGKILL");
    }
  });

  it("ingest: exits 1 with the error when the dataset is broken", async () => {
    const run = start(["ingest"], { DATABASE_URL: "pglite:memory", DATASET_PATH: "tests/fixtures/does-not-exist.json" });
    expect((await run.exit).code).toBe(1);
    expect(run.output()).toMatch(/ingest failed; nothing was imported/);
    expect(run.output()).toMatch(/cannot read the dataset .*does-not-exist\.json/);
  });

  it("exits 1 naming the bad variable when the configuration is wrong", async () => {
    const run = start(["api"], { PORT: "eighty", PG_POOL_MAX: "0" });
    expect((await run.exit).code).toBe(1);
    expect(run.output()).toMatch(/PORT="eighty" is not allowed/);
    expect(run.output()).toMatch(/PG_POOL_MAX="0" is not allowed/);
    expect(run.output()).not.toMatch(/at .*\.ts:\d+/); // a message for a person, no stack trace
  });

  it("gives up on an unreachable server after DB_STARTUP_TIMEOUT_MS, naming host:port, never the password", async () => {
    const started = Date.now();
    const run = start(["api"], {
      DATABASE_URL: "postgres://app:topsecret-pw@127.0.0.1:1/confradar",
      DB_STARTUP_TIMEOUT_MS: "1500",
      PG_CONNECTION_TIMEOUT_MS: "500",
    });
    expect((await run.exit).code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.output()).toMatch(
      /Could not connect to the database at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/confradar within 1500 ms \(\d+ attempts\)/,
    );
    expect(run.output()).toMatch(/database not reachable yet; retrying/);
    expect(run.output()).not.toContain("topsecret-pw");
  });

  it("never shows a password that no URL parser accepts, neither at start nor in the fatal error", async () => {
    // An unencoded "/" ends the URL's authority early, so the password looks like a path to a
    // URL parser and a masking that relies on one shows it.
    const run = start(["api"], {
      DATABASE_URL: "postgres://u:Pa/ssW0rd@127.0.0.1:1/confradar",
      DB_STARTUP_TIMEOUT_MS: "1500",
      LOG_LEVEL: "info",
    });
    expect((await run.exit).code).toBe(1);
    expect(run.output()).toContain("store: PostgreSQL server at postgres://u:***@127.0.0.1:1/confradar");
    expect(run.output()).toMatch(/Could not connect to the database at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/confradar: /);
    expect(run.output()).toMatch(/DATABASE_URL is not a valid URL: percent-encode special characters/);
    expect(run.output()).not.toContain("ssW0rd");
  });

  it("rejects an unknown role with the usage", async () => {
    const run = start(["serve"], {});
    expect((await run.exit).code).toBe(2);
    expect(run.output()).toMatch(/Unknown role "serve"/);
    expect(run.output()).toMatch(/migrate <up\|down\|status\|create>/);
  });
});

describe("the embedded store's folder", () => {
  it("is used by one process at a time: ingest and the migration commands are refused while the app has it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "confradar-lock-"));
    const env = { DATABASE_URL: `pglite://${dir}`, PORT: "0", LOG_LEVEL: "info" };
    const api = start(["api"], env);
    try {
      const [, url] = await waitFor(api, /ConfRadar api listening on (http:\/\/127\.0\.0\.1:\d+\/)/);
      const busy = `The embedded store ${dir} is in use by process ${api.child.pid}`;
      const ingest = start(["ingest"], env);
      expect((await ingest.exit).code).toBe(2); // 2 = busy, as the usage says
      expect(ingest.output()).toContain(busy);
      for (const command of ["status", "up"]) {
        const migrate = start([command], env, { script: MIGRATE_CLI });
        expect((await migrate.exit).code).toBe(1);
        expect(migrate.output()).toContain(`migrate ${command} failed: ${busy}`);
      }
      expect((await fetch(`${url}readyz`)).status).toBe(200);
      api.child.kill("SIGTERM");
      expect((await api.exit).code).toBe(0);
      // Released on shutdown: now the ingest runs, migrations already applied by the api.
      const again = start(["ingest"], env);
      expect((await again.exit).code).toBe(0);
      expect(again.output()).toMatch(/ingest finished: \d+ inserted/);
      await rm(dir, { recursive: true, force: true });
    } finally {
      api.child.kill("SIGKILL");
    }
  });
});
