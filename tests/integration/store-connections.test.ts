// Several pg connections to one served PGlite at once, as the app's pool makes them. PGlite has one
// session for all of them; the socket server must not mix one connection's extended-protocol batch
// (Parse, Bind, Execute, Sync) with another's (electric-sql/pglite#1046).
import { connect, createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servePglite, type ServedPglite } from "../../app/src/store/index.js";

/**
 * A relay to `target` that forwards each frontend message in a write of its own, a moment apart: what
 * a busy machine or a real network does to a pg client's Parse/Bind/Execute/Sync, and what lets the
 * socket server take another connection's message in between. Returns the relay's URL.
 */
async function messageByMessageRelay(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const database = connect(Number(upstream.port), upstream.hostname);
    sockets.add(client).add(database);
    database.pipe(client);
    for (const s of [client, database]) {
      s.on("error", () => undefined);
      s.on("close", () => (client.destroy(), database.destroy()));
    }
    let buffer = Buffer.alloc(0);
    let started = false;
    let sending = Promise.resolve();
    client.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        // The startup message has no type byte; every later message has one before its length.
        const length = started
          ? buffer.length >= 5
            ? 1 + buffer.readInt32BE(1)
            : Infinity
          : buffer.length >= 4
            ? buffer.readInt32BE(0)
            : Infinity;
        if (buffer.length < length) break;
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        started = true;
        sending = sending.then(() => new Promise<void>((r) => setTimeout(r, 1))).then(() => void database.write(message));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address() as { port: number };
  const url = new URL(target);
  url.port = String(address.port);
  return {
    url: url.toString(),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let store: ServedPglite;
let relay: { url: string; close(): Promise<void> };
beforeAll(async () => {
  store = await servePglite({ dataDir: null });
  await store.db.exec("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)");
  await store.db.exec("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g");
  relay = await messageByMessageRelay(store.connectionString);
});
afterAll(async () => {
  await relay?.close();
  await store?.close();
});

describe("a served PGlite", () => {
  it("gives each of several concurrent connections the answer to its own parameterized queries", async () => {
    const pool = new pg.Pool({ connectionString: relay.url, max: 8 });
    pool.on("error", () => undefined); // a mixed-up reply can land on an idle client
    try {
      // Different statement shapes and parameter counts, each with an answer only it can give.
      const shapes = [
        async (n: number) => (await pool.query<{ v: string }>("SELECT label AS v FROM items WHERE id = $1", [n])).rows[0]?.v,
        async (n: number) => (await pool.query<{ v: string }>("SELECT $1::int + $2::int AS v", [n, 1000])).rows[0]?.v,
        async (n: number) =>
          (
            await pool.query<{ v: string }>("SELECT count(*)::text AS v FROM items WHERE id BETWEEN $1 AND $2 AND label <> $3", [
              1,
              n,
              "",
            ])
          ).rows[0]?.v,
      ];
      const expected = [(n: number) => `item ${n}`, (n: number) => n + 1000, (n: number) => String(n)];
      const calls = Array.from({ length: 300 }, (_, i) => ({ shape: i % 3, n: (i % 100) + 1 }));
      const results = await Promise.allSettled(calls.map((c) => shapes[c.shape]!(c.n)));
      const wrong = results
        .map((r, i) => ({ ...calls[i]!, got: r.status === "fulfilled" ? r.value : `error: ${(r.reason as Error).message}` }))
        .filter((r) => r.got !== expected[r.shape]!(r.n));
      expect(wrong.slice(0, 5), `${wrong.length} of ${calls.length} wrong`).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});
