// Ctrl-C under load: the terminal sends SIGINT to the whole process group (npm, sh, node), the
// runners may relay it again, and the app must still finish every request it accepted, close the
// store and release its lock.
import { existsSync } from "node:fs";
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { servePglite, STORE_LOCK_FILE } from "../../app/src/store/index.js";
import { exitWithin, start, waitFor } from "./processes.js";

const REQUESTS = 200;
const CONCURRENCY = 20;
/** Ctrl-C comes after this many responses, with the rest in flight or still to send. */
const SIGNAL_AFTER = 60;
/** The app's shutdown timeout (15 s) plus the runners' own exit. */
const EXIT_BOUND_MS = 20_000;

interface Outcome {
  i: number;
  method: "GET" | "POST";
  acronym?: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  error?: string;
}

async function request(base: string, i: number): Promise<Outcome> {
  const startedAt = Date.now();
  const post = i % 2 === 0;
  const acronym = `SD${i}`;
  const base_ = { i, method: post ? "POST" : "GET", ...(post ? { acronym } : {}), startedAt } as const;
  try {
    const res = await fetch(post ? `${base}api/conferences` : `${base}api/conferences?q=SD&limit=50`, {
      method: base_.method,
      ...(post
        ? { headers: { "content-type": "application/json" }, body: JSON.stringify({ acronym, name: "Shutdown", year: 2032 }) }
        : {}),
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return { ...base_, endedAt: Date.now(), status: res.status };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { ...base_, endedAt: Date.now(), error: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}

/**
 * A POST whose body arrives in two halves, the second when `finish` is called: a slow upload that is
 * in flight for as long as the test wants (the drain must wait for it).
 */
function slowUpload(base: string, acronym: string): { finish(): void; done: Promise<number | string> } {
  const body = JSON.stringify({ acronym, name: "Slow upload", year: 2032 });
  const url = new URL("api/conferences", base);
  let finish = () => undefined as void;
  const done = new Promise<number | string>((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? "no status"));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.write(body.slice(0, 10));
    finish = () => void req.end(body.slice(10));
  });
  return { finish: () => finish(), done };
}

function logMessages(output: string): string[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => (JSON.parse(l) as { msg?: string }).msg ?? "");
}

describe("Ctrl-C on the api under load", () => {
  it.each([
    { runner: "npm run app (npm, sh and node in the group)", command: ["npm", "run", "-s", "app"] },
    { runner: "node --import tsx app/src/main.ts api", command: undefined },
  ])(
    "$runner: every accepted request is answered, the store is closed and its lock released, within the bound",
    async ({ command }) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "confradar-sigint-"));
      const env = { DATABASE_URL: `pglite://${dir}`, PORT: "0", LOG_LEVEL: "info", HOME: process.env.HOME ?? os.homedir() };
      const app = start(command ? [] : ["api"], env, { group: true, ...(command ? { command } : {}) });
      const group = -app.child.pid!;
      const signal = () => {
        try {
          process.kill(group, "SIGINT");
        } catch {
          // the group is gone already
        }
      };
      try {
        const [, base] = await waitFor(app, /ConfRadar api listening on (http:\/\/127\.0\.0\.1:\d+\/)/, 120_000);

        const slowStartedAt = Date.now();
        const slow = slowUpload(base!, "SDSLOW");
        let signalAt = 0;
        let answered = 0;
        let next = 0;
        const outcomes: Outcome[] = [];
        const client = async () => {
          while (next < REQUESTS) {
            const outcome = await request(base!, next++);
            outcomes.push(outcome);
            if (++answered === SIGNAL_AFTER) {
              signalAt = Date.now();
              signal(); // Ctrl-C: the whole group
              setTimeout(signal, 300); // and again, as a relaying runner or a quick second press does
              setTimeout(slow.finish, 1_000); // the slow upload keeps the drain going past both
            }
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, client));
        const slowStatus = await slow.done;
        outcomes.push({
          i: REQUESTS,
          method: "POST",
          acronym: "SDSLOW",
          startedAt: slowStartedAt,
          endedAt: Date.now(),
          ...(typeof slowStatus === "number" ? { status: slowStatus } : { error: slowStatus }),
        });
        const exit = await exitWithin(app, EXIT_BOUND_MS + 30_000);
        const exitedAfterMs = Date.now() - signalAt;

        const log = logMessages(app.output());
        const count = (msg: string) => log.filter((m) => m === msg).length;
        const incoming = count("incoming request");
        const completed = count("request completed");
        const refusedClosing = count("request aborted - refusing to accept new requests as server is closing");
        const responses = outcomes.filter((o) => o.status !== undefined);
        const inFlight = outcomes.filter((o) => o.startedAt < signalAt && o.endedAt >= signalAt);
        const summary = JSON.stringify({
          exit,
          exitedAfterMs,
          incoming,
          completed,
          refusedClosing,
          inFlight: inFlight.map((o) => o.status ?? o.error),
          after: outcomes.filter((o) => o.startedAt >= signalAt).map((o) => o.status ?? o.error),
        });
        const context = `store ${dir} (kept when this fails)\n${summary}\n${log.filter((m) => !/request/.test(m)).join("\n")}`;

        expect(inFlight.length, context).toBeGreaterThan(0);
        expect(slowStatus, context).toBe(201);
        expect(log, context).toContain(`already shutting down (a signal within 2000 ms is the same one relayed)`);
        // In flight at the signal: answered as usual.
        expect(
          inFlight.filter((o) => o.status !== 200 && o.status !== 201),
          context,
        ).toEqual([]);
        // Accepted = fastify's "incoming request": each one finished, and each answer reached its client.
        expect(completed, context).toBe(incoming);
        expect(responses.length, context).toBe(completed + refusedClosing);
        // The rest were refused before acceptance: a 503 "server is closing", or no connection.
        expect(responses.filter((o) => o.status === 503).length, context).toBe(refusedClosing);
        expect(
          responses.filter((o) => ![200, 201, 503].includes(o.status!)),
          context,
        ).toEqual([]);
        expect(
          outcomes.filter(
            (o) => o.error !== undefined && !/ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|other side closed/.test(o.error),
          ),
          context,
        ).toEqual([]);

        expect(log, context).toContain("shut down cleanly");
        expect(
          log.filter((m) => /exiting now|took too long|shutdown failed/.test(m)),
          context,
        ).toEqual([]);
        // The app exits 0; npm, having got the Ctrl-C itself, ends by it as an interrupted command does.
        expect(exit, context).toEqual(command ? { code: null, signal: "SIGINT" } : { code: 0, signal: null });
        expect(exitedAfterMs, context).toBeLessThan(EXIT_BOUND_MS);
        expect(existsSync(path.join(dir, STORE_LOCK_FILE)), context).toBe(false);

        // The store opens again, with every acknowledged write and none of the refused ones.
        const store = await servePglite({ dataDir: dir });
        const db = new pg.Client({ connectionString: store.connectionString });
        await db.connect();
        try {
          const { rows } = await db.query<{ acronym: string }>("SELECT acronym FROM conferences WHERE acronym LIKE 'SD%'");
          const written = rows.map((r) => r.acronym).sort();
          const acknowledged = outcomes.filter((o) => o.method === "POST" && o.status === 201).map((o) => o.acronym!);
          expect(written, context).toEqual(acknowledged.sort());
        } finally {
          await db.end();
          await store.close();
        }
        await rm(dir, { recursive: true, force: true });
      } finally {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          // exited
        }
      }
    },
    240_000,
  );
});
