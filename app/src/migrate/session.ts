import type pg from "pg";
import { PG_MIGRATE_LOCK_ID } from "node-pg-migrate";

/** Defaults, each overridable per call (and by env in the CLI). */
export const migrationDefaults = {
  /** How long a second migrator waits for the first before failing. */
  lockWaitTimeoutMs: 120_000,
  /** How long one DDL statement may queue for a table lock; app queries queue behind it meanwhile. */
  lockTimeoutMs: 10_000,
  /** How long one statement may run. */
  statementTimeoutMs: 300_000,
  /** How soon the server notices a migrator that died mid-statement (PostgreSQL 14+). */
  connectionCheckIntervalMs: 250,
} as const;

export interface SessionSettings {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

function positiveMs(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number of milliseconds >= 0 (0 = no limit), got ${value}`);
  }
  return value;
}

/**
 * Sets the timeouts on the migrator's own session. `SET` (not `SET LOCAL`) so they hold for every
 * statement node-pg-migrate sends on this client, the lock query and the transaction alike.
 */
export async function applySessionSettings(client: pg.ClientBase, settings: SessionSettings): Promise<void> {
  const lockTimeout = positiveMs("lockTimeoutMs", settings.lockTimeoutMs);
  const statementTimeout = positiveMs("statementTimeoutMs", settings.statementTimeoutMs);
  await client.query(`SET lock_timeout = ${lockTimeout}`);
  await client.query(`SET statement_timeout = ${statementTimeout}`);
  await client.query(`SET idle_in_transaction_session_timeout = ${Math.max(statementTimeout, 60_000)}`);
  // After a kill -9 the server keeps the dead session, and its advisory lock, until the running
  // statement ends; with this check it notices the closed socket within 250 ms. PostgreSQL 14+ only,
  // and refused where the platform cannot poll sockets (PGlite): then we go without it.
  const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  if (Number(rows[0]?.v ?? 0) >= 140000) {
    await client
      .query(`SET client_connection_check_interval = ${migrationDefaults.connectionCheckIntervalMs}`)
      .catch(() => undefined);
  }
}

/** PGlite serves every connection from one backend, so session settings leak: put them back. */
export async function resetSessionSettings(client: pg.ClientBase): Promise<void> {
  await client.query(
    "RESET lock_timeout; RESET statement_timeout; RESET idle_in_transaction_session_timeout; RESET client_connection_check_interval",
  );
}

export class MigrationLockTimeoutError extends Error {
  override readonly name = "MigrationLockTimeoutError";
}

/**
 * node-pg-migrate 9's `advisoryLockMode: 'wait'` calls pg_advisory_lock with no bound, and it has no
 * option for one. So we take the same lock (its PG_MIGRATE_LOCK_ID, so plain node-pg-migrate runs
 * are excluded too) in wait mode ourselves, bounded by lock_timeout for this one statement, and run
 * the runner with `noLock: true`.
 */
export async function acquireMigrationLock(
  client: pg.ClientBase,
  waitTimeoutMs: number,
  restoreLockTimeoutMs: number,
): Promise<void> {
  const wait = positiveMs("lockWaitTimeoutMs", waitTimeoutMs);
  await client.query(`SET lock_timeout = ${wait}`);
  try {
    await client.query(`SELECT pg_advisory_lock(${PG_MIGRATE_LOCK_ID})`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "55P03" || code === "57014") {
      throw new MigrationLockTimeoutError(
        `Timed out after ${wait} ms waiting for the migration lock (advisory lock ${PG_MIGRATE_LOCK_ID}): ` +
          "another migration is running on this database. Let it finish and retry, or raise " +
          "lockWaitTimeoutMs (MIGRATE_LOCK_WAIT_TIMEOUT_MS for the CLI).",
        { cause: error },
      );
    }
    throw error;
  } finally {
    await client.query(`SET lock_timeout = ${positiveMs("lockTimeoutMs", restoreLockTimeoutMs)}`).catch(() => undefined);
  }
}

export async function releaseMigrationLock(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${PG_MIGRATE_LOCK_ID})`);
}
