import { mkdtemp, utimes, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../app/src/api/app.js";
import { checkHealth } from "../../app/src/healthcheck.js";
import { heartbeatAgeMs } from "../../app/src/worker/heartbeat.js";
import { startWorker } from "../../app/src/worker/loop.js";
import { FIXTURE_DATASET, openTestDatabase, silentLogger, type TestDatabase } from "./app-harness.js";

let t: TestDatabase;
let dir: string;

beforeAll(async () => {
  t = await openTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), "confradar-worker-"));
});
afterAll(async () => {
  await t?.close();
});

describe("the worker loop", () => {
  it("ingests at start on schedule, writes a heartbeat, and removes it on stop", async () => {
    const heartbeatFile = path.join(dir, "a.heartbeat");
    const worker = startWorker({
      db: t.db,
      logger: silentLogger,
      datasetPath: FIXTURE_DATASET,
      intervalSeconds: 3600,
      heartbeatFile,
      heartbeatIntervalMs: 50,
    });
    const run = await worker.lastRun;
    expect(run).toMatchObject({ status: "succeeded", trigger: "schedule" });
    await expect.poll(() => heartbeatAgeMs(heartbeatFile), { timeout: 5000 }).not.toBeNull();
    expect(await heartbeatAgeMs(heartbeatFile)).toBeLessThan(5000);
    expect(await checkHealth({ role: "auto", heartbeatFile, port: 1, host: "127.0.0.1" })).toMatchObject({ ok: true });
    await worker.stop();
    expect(await heartbeatAgeMs(heartbeatFile)).toBeNull();
    const { rows } = await t.db.query("SELECT trigger, status FROM ingest_runs ORDER BY id DESC LIMIT 1");
    expect(rows[0]).toEqual({ trigger: "schedule", status: "succeeded" });
  });

  it("with INGEST_INTERVAL_SECONDS=0 keeps the heartbeat but runs no ingest", async () => {
    const before = (await t.db.query("SELECT count(*)::int AS n FROM ingest_runs")).rows[0]!.n;
    const heartbeatFile = path.join(dir, "b.heartbeat");
    const worker = startWorker({
      db: t.db,
      logger: silentLogger,
      datasetPath: FIXTURE_DATASET,
      intervalSeconds: 0,
      heartbeatFile,
      heartbeatIntervalMs: 50,
    });
    await expect.poll(() => heartbeatAgeMs(heartbeatFile), { timeout: 5000 }).not.toBeNull();
    expect(worker.lastRun).toBeUndefined();
    await worker.stop();
    expect((await t.db.query("SELECT count(*)::int AS n FROM ingest_runs")).rows[0]!.n).toBe(before);
  });

  it("does not beat while the database is down", async () => {
    const heartbeatFile = path.join(dir, "c.heartbeat");
    const deadDb = { ...t.db, ping: async () => Promise.reject(new Error("ECONNREFUSED")) } as typeof t.db;
    const worker = startWorker({
      db: deadDb,
      logger: silentLogger,
      datasetPath: FIXTURE_DATASET,
      intervalSeconds: 0,
      heartbeatFile,
      heartbeatIntervalMs: 20,
    });
    await new Promise((r) => setTimeout(r, 200));
    await worker.stop();
    expect(await heartbeatAgeMs(heartbeatFile)).toBeNull();
  });
});

describe("the container health check", () => {
  it("worker: healthy with a fresh heartbeat, unhealthy when stale or missing", async () => {
    const heartbeatFile = path.join(dir, "hc.heartbeat");
    const opts = { heartbeatFile, port: 1, host: "127.0.0.1" };
    expect(await checkHealth({ ...opts, role: "worker" })).toEqual({
      ok: false,
      message: `no worker heartbeat at ${heartbeatFile} yet`,
    });
    await writeFile(heartbeatFile, "x");
    expect(await checkHealth({ ...opts, role: "worker" })).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^worker heartbeat \d+ s old$/),
    });
    const old = new Date(Date.now() - 120_000);
    await utimes(heartbeatFile, old, old);
    expect(await checkHealth({ ...opts, role: "worker" })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/heartbeat is 1\d\d s old \(limit 60 s\)/),
    });
    expect(await checkHealth({ ...opts, role: "auto" })).toMatchObject({ ok: false });
  });

  it("api: healthy when /readyz answers 200, unhealthy otherwise", async () => {
    const app = await buildApp({ db: t.db, logger: silentLogger });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const port = (app.server.address() as AddressInfo).port;
    const none = path.join(dir, "absent.heartbeat");
    try {
      expect(await checkHealth({ role: "api", heartbeatFile: none, port, host: "0.0.0.0" })).toMatchObject({
        ok: true,
        message: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${port}/readyz answered 200`)),
      });
      expect(await checkHealth({ role: "auto", heartbeatFile: none, port, host: "127.0.0.1" })).toMatchObject({ ok: true });
    } finally {
      await app.close();
    }
    expect(await checkHealth({ role: "api", heartbeatFile: none, port, host: "127.0.0.1" })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it("api: unhealthy on a 503 and on a server that never answers", async () => {
    const server = http.createServer((req, res) => {
      if ((server as any).mode === "hang") return;
      res.writeHead(503).end('{"status":"unavailable"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const none = path.join(dir, "absent2.heartbeat");
    try {
      expect(await checkHealth({ role: "api", heartbeatFile: none, port, host: "127.0.0.1" })).toMatchObject({
        ok: false,
        message: expect.stringMatching(/answered 503/),
      });
      (server as any).mode = "hang";
      expect(await checkHealth({ role: "api", heartbeatFile: none, port, host: "127.0.0.1", timeoutMs: 200 })).toMatchObject({
        ok: false,
        message: expect.stringMatching(/no answer within 200 ms/),
      });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
