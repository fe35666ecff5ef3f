/**
 * The app's integration tests on a freshly migrated database per test file (the data layer's
 * harness: a clone of a migrated template, PGlite by default, a real server with
 * TEST_DATABASE_URL), opened the way the app opens it: openDatabase, same pool settings, type
 * parsers and error handling.
 */
import { createServer, connect, type Socket } from "node:net";
import { openDatabase, type Db } from "../../app/src/db.js";
import { createLogger, type Logger } from "../../app/src/logger.js";
import { freshDatabase } from "../helpers/database.js";

export const silentLogger: Logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

export interface TestDatabase {
  db: Db;
  /** A second, independent pool on the same database (for concurrency tests). */
  openAnother(): Promise<Db>;
  close(): Promise<void>;
}

const pool = { max: 5, idleTimeoutMs: 1000, connectionTimeoutMs: 10_000, statementTimeoutMs: 30_000 };

const open = (databaseUrl: string, applicationName: string) =>
  openDatabase({ databaseUrl, pool, startupTimeoutMs: 10_000, applicationName, logger: silentLogger });

export async function openTestDatabase(): Promise<TestDatabase> {
  const fresh = await freshDatabase();
  const db = await open(fresh.connectionString, "confradar-app-test");
  const others: Db[] = [];
  return {
    db,
    async openAnother() {
      const other = await open(fresh.connectionString, "confradar-app-test-2");
      others.push(other);
      return other;
    },
    async close() {
      for (const o of others) await o.close();
      await db.close();
      await fresh.close();
    },
  };
}

export async function countRows(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return rows[0]!.n;
}

export async function countAll(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ["conferences", "deadlines", "topics", "conference_topics", "sources", "ingest_runs"]) {
    out[t] = await countRows(db, t);
  }
  return out;
}

export const FIXTURE_DATASET = new URL("../fixtures/app-dataset.json", import.meta.url).pathname;

export interface ConnectionCountingProxy {
  /** `target` with host and port pointing at the proxy. Secret, like `target`. */
  url: string;
  /** TCP connections accepted so far: each pg connection (a pool's client or a pg.Client) is one. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A TCP relay on 127.0.0.1 in front of the database at `target` that counts the connections made
 * through it: what opens connections and how many, on PGlite and a server alike.
 */
export async function connectionCountingProxy(target: string): Promise<ConnectionCountingProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const database = connect(Number(upstream.port || 5432), upstream.hostname);
    for (const [a, b] of [
      [client, database],
      [database, client],
    ] as const) {
      sockets.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);
  return {
    url: url.toString(),
    get connections() {
      return connections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** openDatabase as the app does it, on a URL of the test's choosing, with a pool that keeps idle clients. */
export const openAppDatabase = (databaseUrl: string, applicationName: string) =>
  openDatabase({
    databaseUrl,
    pool: { ...pool, idleTimeoutMs: 60_000 },
    startupTimeoutMs: 10_000,
    applicationName,
    logger: silentLogger,
  });
