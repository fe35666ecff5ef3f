import type { Logger } from "pino";
import type { AppConfig } from "./config.js";
import { openDatabase, type Db } from "./db.js";
import { listMigrationNames, migrationStatusOn, runMigrations } from "./migrate/index.js";

/**
 * Opens the database for a process role. On embedded PGlite (locked against a second process by the
 * store itself) it also applies pending migrations, so `npm run ingest` and `npm run app` work with
 * nothing configured. On a PostgreSQL server it never migrates: there the migration role applies
 * them (the infra's migration step or `npm run migrate:up`), and /readyz reports any still pending.
 */
export async function openAppDatabase(config: AppConfig, logger: Logger, applicationName: string, poolMax?: number): Promise<Db> {
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    pool: { ...config.pool, ...(poolMax !== undefined ? { max: Math.min(poolMax, config.pool.max) } : {}) },
    startupTimeoutMs: config.dbStartupTimeoutMs,
    applicationName,
    logger,
    // A new embedded store starts from a migrated seed; the run below then has nothing to do.
    migratedStore: true,
  });
  if (db.kind === "pglite") {
    try {
      // A store made from the migrated seed, or opened before, usually has nothing pending: one
      // ledger read instead of the runner (lock, session settings, loading every migration file).
      const { applied, pending } = await migrationStatusOn(db);
      // Anything else (pending files, or ledger rows with no file) goes through the runner, which
      // applies or explains.
      const upToDate = pending.length === 0 && applied.length === (await listMigrationNames()).length;
      const { ran } = upToDate
        ? { ran: [] }
        : await runMigrations({
            databaseUrl: db.connectionString,
            logger: { info: () => undefined, warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
          });
      if (ran.length > 0) logger.info({ ran }, `embedded store: applied ${ran.length} migration(s)`);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}
