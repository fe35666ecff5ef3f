import pg from "pg";
import type { Logger } from "pino";
import type { AppConfig } from "./config.js";
import { redact } from "./redact.js";
import { resolveDatabase } from "./store/index.js";

/** Anything that runs a query: the Db itself or a client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** The one handle on the database the app has: a pg Pool plus the store behind it. */
export interface Db extends Queryable {
  readonly kind: "postgres" | "pglite";
  /** Safe to log: the server's URL with its password masked, or the PGlite folder. */
  readonly description: string;
  /** A postgres:// URL for tools that open their own connection (runMigrations on PGlite). Secret. */
  readonly connectionString: string;
  readonly pool: pg.Pool;
  /** Runs `fn` with one client and always releases it. */
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** BEGIN … COMMIT around `fn`, ROLLBACK if it throws. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** SELECT 1. */
  ping(): Promise<void>;
  /** Ends the pool, then the embedded store if there is one. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl: string | undefined;
  pool: AppConfig["pool"];
  startupTimeoutMs: number;
  /** Shows up in pg_stat_activity: confradar-api, confradar-worker, ... */
  applicationName?: string;
  logger: Logger;
  /** A new embedded store folder starts migrated (resolveDatabase): for processes that migrate at start. */
  migratedStore?: boolean;
}

const INT8_OID = 20;
const DATE_OID = 1082;

/**
 * Type parsers for this pool only (the global pg.types stay untouched): ids and counts as
 * numbers (identity values stay far below 2^53), dates as "YYYY-MM-DD" strings because a JS
 * Date would shift them by the local time zone.
 */
const typeParsers = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID) return (v: string) => Number(v);
    if (oid === DATE_OID) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as "text");
  },
} as unknown as pg.CustomTypesConfig;

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Db> {
  const store = await resolveDatabase(opts.databaseUrl, { migratedStore: opts.migratedStore ?? false });
  const target = store.kind === "postgres" ? redact(store.connectionString) : store.description;
  const pool = new pg.Pool({
    connectionString: store.connectionString,
    max: opts.pool.max,
    idleTimeoutMillis: opts.pool.idleTimeoutMs,
    connectionTimeoutMillis: opts.pool.connectionTimeoutMs,
    ...(opts.pool.statementTimeoutMs > 0 ? { statement_timeout: opts.pool.statementTimeoutMs } : {}),
    application_name: opts.applicationName ?? "confradar",
    types: typeParsers,
  });
  // Without a listener, an idle client dropped by the server (restart, idle kill) crashes the process.
  pool.on("error", (err) => {
    opts.logger.error({ err }, "an idle PostgreSQL client failed; the pool discards it and reconnects on demand");
  });

  let closed = false;
  const db: Db = {
    kind: store.kind,
    description: store.description,
    connectionString: store.connectionString,
    pool,
    query: (text, values) => pool.query(text, values),
    async withClient(fn) {
      const client = await pool.connect();
      try {
        return await fn(client);
      } finally {
        client.release();
      }
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await fn(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackErr) {
          // A client whose ROLLBACK failed is in an unknown state: destroy it, not reuse it.
          broken = rollbackErr as Error;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pool.end();
      } finally {
        await store.close();
      }
    },
  };

  opts.logger.info({ store: store.kind, target }, `store: ${store.description}`);
  try {
    await waitForDatabase(() => db.ping(), {
      timeoutMs: opts.startupTimeoutMs,
      target,
      logger: opts.logger,
    });
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

/** Errors worth retrying at start-up: the server is not there yet or not ready yet. */
export function isTransientConnectError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  const code = e?.code ?? "";
  if (
    [
      "ECONNREFUSED",
      "ECONNRESET",
      "ETIMEDOUT",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EPIPE",
      "57P03", // cannot_connect_now: the server is starting up or shutting down
      "53300", // too_many_connections
    ].includes(code)
  ) {
    return true;
  }
  const message = e?.message ?? "";
  return /Connection terminated|timeout exceeded when trying to connect|the database system is starting up/i.test(message);
}

/** Delay before retry number `attempt` (1-based): 250 ms doubling, capped at 5 s. */
export function backoffDelayMs(attempt: number, baseMs = 250, capMs = 5_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

function hintFor(err: unknown): string {
  const code = (err as { code?: string } | undefined)?.code;
  // pg's URL parser refuses it (pg-connection-string, through WHATWG URL): a reserved character
  // in the password, most often.
  if (code === "ERR_INVALID_URL")
    return "DATABASE_URL is not a valid URL: percent-encode special characters in the user and password (/ as %2F, @ as %40, : as %3A, # as %23, ? as %3F, a space as %20).";
  if (code === "28P01" || code === "28000")
    return "The server rejected the credentials: check the user and password in DATABASE_URL.";
  if (code === "3D000") return "The database does not exist: create it or fix the database name in DATABASE_URL.";
  return "Check DATABASE_URL and that the server is running, or raise DB_STARTUP_TIMEOUT_MS.";
}

/**
 * Calls `attempt` until it succeeds, with exponential backoff, for at most `timeoutMs` in total.
 * Errors that retrying cannot fix (bad password, missing database) fail at once.
 */
export async function waitForDatabase(
  attempt: () => Promise<void>,
  opts: {
    timeoutMs: number;
    target: string;
    logger?: Pick<Logger, "warn">;
    sleep?: (ms: number) => Promise<void>;
    now?: () => number;
  },
): Promise<number> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (let n = 1; ; n++) {
    try {
      await attempt();
      return n;
    } catch (err) {
      const reason = redact((err as Error)?.message ?? String(err));
      if (!isTransientConnectError(err)) {
        throw new DatabaseUnavailableError(`Could not connect to the database at ${opts.target}: ${reason}. ${hintFor(err)}`, {
          cause: err,
        });
      }
      const remaining = deadline - now();
      if (remaining <= 0) {
        throw new DatabaseUnavailableError(
          `Could not connect to the database at ${opts.target} within ${opts.timeoutMs} ms ` +
            `(${n} attempt${n === 1 ? "" : "s"}); last error: ${reason}. ${hintFor(err)}`,
          { cause: err },
        );
      }
      const delay = Math.min(backoffDelayMs(n), remaining);
      opts.logger?.warn({ attempt: n, retryInMs: delay, target: opts.target, reason }, "database not reachable yet; retrying");
      await sleep(delay);
    }
  }
}
