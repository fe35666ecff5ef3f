import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { AppConfig } from "./config.js";
import { openDatabase, type Db } from "./db.js";
import { runMigrations } from "./migrate/index.js";
import { parseDatabaseUrl } from "./store/index.js";

export const EMBEDDED_LOCK_FILE = "confradar-app.lock";

export class EmbeddedStoreBusyError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded store ${dir} is in use by process ${pid} (another npm run app / worker / ingest?). ` +
        "A PGlite folder can be open in one process only: stop that process first, or set DATABASE_URL " +
        "to a PostgreSQL server to run several processes at once.",
    );
    this.name = "EmbeddedStoreBusyError";
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A PGlite folder opened by two processes loses writes (each keeps its own copy in memory), and
 * PGlite does not stop it. The app's processes take this pid lock file first; a lock left by a
 * dead process is taken over. Returns the release function.
 */
export async function lockEmbeddedFolder(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, EMBEDDED_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        const owner = Number((await readFile(file, "utf8").catch(() => "")).trim());
        if (owner === process.pid) await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        const { mkdir } = await import("node:fs/promises");
        await mkdir(dir, { recursive: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number((await readFile(file, "utf8").catch(() => "")).trim());
      if (isAlive(owner)) throw new EmbeddedStoreBusyError(dir, owner);
      await rm(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

/**
 * Opens the database for a process role. On embedded PGlite it also locks the folder against a
 * second process and applies pending migrations, so `npm run ingest` and `npm run app` work with
 * nothing configured. On a PostgreSQL server it never migrates: there the migration role applies
 * them (the infra's migration step or `npm run migrate:up`), and /readyz reports any still pending.
 */
export async function openAppDatabase(config: AppConfig, logger: Logger, applicationName: string, poolMax?: number): Promise<Db> {
  const target = parseDatabaseUrl(config.databaseUrl);
  const release =
    target.kind === "pglite" && target.dataDir !== null ? await lockEmbeddedFolder(target.dataDir) : async () => undefined;
  let db: Db;
  try {
    db = await openDatabase({
      databaseUrl: config.databaseUrl,
      pool: { ...config.pool, ...(poolMax !== undefined ? { max: Math.min(poolMax, config.pool.max) } : {}) },
      startupTimeoutMs: config.dbStartupTimeoutMs,
      applicationName,
      logger,
    });
  } catch (err) {
    await release();
    throw err;
  }
  const opened: Db = {
    ...db,
    async close() {
      try {
        await db.close();
      } finally {
        await release();
      }
    },
  };
  if (db.kind === "pglite") {
    try {
      const { ran } = await runMigrations({
        databaseUrl: db.connectionString,
        logger: { info: () => undefined, warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
      });
      if (ran.length > 0) logger.info({ ran }, `embedded store: applied ${ran.length} migration(s)`);
    } catch (err) {
      await opened.close();
      throw err;
    }
  }
  return opened;
}
