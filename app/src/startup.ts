import type { Logger } from "pino";
import type { AppConfig } from "./config.js";
import { openDatabase, type Db } from "./db.js";
import { runMigrations } from "./migrate/index.js";

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
  });
  if (db.kind === "pglite") {
    try {
      const { ran } = await runMigrations({
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
