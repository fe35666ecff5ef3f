import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { jiti, runner, type MigrationBuilder } from "node-pg-migrate";
import { resolveDatabase } from "../store/index.js";
import { defaultMigrationsDir, ignorePatternFor, listMigrationFiles, listMigrationNames, stripExt } from "./files.js";
import { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from "./ledger.js";
import {
  acquireMigrationLock,
  applySessionSettings,
  migrationDefaults,
  releaseMigrationLock,
  resetSessionSettings,
} from "./session.js";

export { defaultMigrationsDir, listMigrationNames, migrationsKey, readMigrationSet, type MigrationSet } from "./files.js";
export { migrationDefaults, MigrationLockTimeoutError } from "./session.js";

export { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from "./ledger.js";

/** The ledger, quoted for SQL. */
const LEDGER = `"${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`;
/** Where the ledger was before it got its own schema (node-pg-migrate's default). */
const LEGACY_LEDGER = `"public"."${MIGRATIONS_TABLE}"`;

export interface MigrationStatus {
  /** Names (without extension) in the order they were applied. */
  applied: string[];
  /** Names in migrationsDir not in the ledger, in the order they would apply. */
  pending: string[];
}

/** Anything that runs a query: a pg.Client, a pg.Pool, the app's Db. */
export interface LedgerQueryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface MigrateLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface MigrateOptions {
  /** postgres://..., pglite://PATH or pglite:memory. */
  databaseUrl: string;
  /** Default "up". */
  direction?: "up" | "down";
  /** Default: all pending for up, 1 for down. */
  count?: number;
  /** Default: defaultMigrationsDir. */
  migrationsDir?: string;
  /** Bounded wait for the advisory lock held by another migrator. Default 120 s. */
  lockWaitTimeoutMs?: number;
  /** statement_timeout for every migration statement. Default 300 s. */
  statementTimeoutMs?: number;
  /** lock_timeout for every migration statement. Default 10 s. */
  lockTimeoutMs?: number;
  /** Default: warnings and errors to stderr, nothing else. */
  logger?: MigrateLogger;
}

/** A migration failed: everything in the run was rolled back. `migration` names the file. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
  constructor(
    message: string,
    readonly migration: string | undefined,
    readonly direction: "up" | "down",
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const quietLogger: MigrateLogger = {
  info: () => {},
  warn: (msg) => console.warn(msg),
  error: (msg) => console.error(msg),
};

type Action = (pgm: MigrationBuilder, run?: () => void) => Promise<void> | void;
type Actions = { up?: Action | false; down?: Action | false; shorthands?: unknown };

/**
 * Loads each migration file and wraps its up/down so we know which one is running when something
 * fails (node-pg-migrate rethrows the bare SQL error). `.js` (the compiled image) uses Node's own
 * import; so does `.ts` when the process already has a TypeScript loader (`node --import tsx`, which
 * every npm script and the infra's migration step use). Otherwise `.ts` goes through
 * node-pg-migrate's jiti, which transpiles in-process (node-pg-migrate#1199) but costs ~250 ms more
 * (it loads its transpiler first).
 */
async function importTypeScript(filePath: string): Promise<unknown> {
  try {
    return await import(pathToFileURL(filePath).href);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
    return await jiti.import(filePath);
  }
}

function trackingLoader(current: { name?: string }) {
  const wrap = (name: string, action: Action | false | undefined): Action | false | undefined => {
    if (typeof action !== "function") return action;
    return async (pgm) => {
      current.name = name;
      if (action.length === 2) await new Promise<void>((done) => void action(pgm, done));
      else await action(pgm);
    };
  };
  return async (filePaths: string[]) => {
    const units = [];
    for (const filePath of filePaths) {
      const name = stripExt(filePath.split(/[\\/]/).pop() ?? filePath);
      let actions: Actions;
      try {
        actions = (
          filePath.endsWith(".ts") ? await importTypeScript(filePath) : await import(pathToFileURL(filePath).href)
        ) as Actions;
      } catch (error) {
        throw new Error(`Cannot load migration ${name} (${filePath}): ${(error as Error).message}`, { cause: error });
      }
      if (typeof actions.up !== "function") {
        throw new Error(`Migration ${name} (${filePath}) exports no up(pgm) function`);
      }
      if (actions.down === undefined) {
        throw new Error(`Migration ${name} (${filePath}) must export down(pgm) or \`export const down = false\``);
      }
      units.push({
        id: filePath,
        filePaths: [filePath],
        actions: { ...actions, up: wrap(name, actions.up), down: wrap(name, actions.down) },
      });
    }
    // node-pg-migrate's own types describe actions loosely; the shape above is what it calls.
    return units as never;
  };
}

/**
 * Applies (or reverts) migrations in one transaction, holding node-pg-migrate's advisory lock (and
 * first, under the same lock, moves a ledger left in public: prepareLedger). Returns the names that
 * ran, in the order they ran.
 */
export async function runMigrations(opts: MigrateOptions): Promise<{ ran: string[] }> {
  const direction = opts.direction ?? "up";
  const migrationsDir = resolve(opts.migrationsDir ?? defaultMigrationsDir);
  const logger = opts.logger ?? quietLogger;
  const lockTimeoutMs = opts.lockTimeoutMs ?? migrationDefaults.lockTimeoutMs;
  if (opts.count !== undefined && (!Number.isInteger(opts.count) || opts.count < 1)) {
    throw new Error(`count must be a whole number >= 1, got ${opts.count}`);
  }
  const { language } = listMigrationFiles(migrationsDir);
  const database = await resolveDatabase(opts.databaseUrl);
  try {
    const client = new pg.Client({
      connectionString: database.connectionString,
      application_name: "confradar-migrate",
      connectionTimeoutMillis: 30_000,
    });
    // A dropped connection mid-run surfaces as a query error; without a listener it would crash.
    client.on("error", (error) => logger.error(`migration connection error: ${error.message}`));
    await client.connect();
    try {
      await applySessionSettings(client, {
        lockTimeoutMs,
        statementTimeoutMs: opts.statementTimeoutMs ?? migrationDefaults.statementTimeoutMs,
      });
      await acquireMigrationLock(client, opts.lockWaitTimeoutMs ?? migrationDefaults.lockWaitTimeoutMs, lockTimeoutMs);
      const current: { name?: string } = {};
      try {
        const { schemaExists } = await prepareLedger(client, logger);
        const ran = await runner({
          dbClient: client,
          dir: migrationsDir,
          ignorePattern: ignorePatternFor(language),
          migrationsTable: MIGRATIONS_TABLE,
          migrationsSchema: MIGRATIONS_SCHEMA,
          // CREATE SCHEMA IF NOT EXISTS checks CREATE on the database before it looks whether the
          // schema exists: only ask for it when the schema is missing (PGlite, a bare server), so a
          // migrator whose schema the infra made beforehand needs no CREATE on the database.
          createMigrationsSchema: !schemaExists,
          direction,
          ...(opts.count !== undefined ? { count: opts.count } : {}),
          checkOrder: true,
          // runner() treats a missing value as false, whatever its docs say.
          singleTransaction: true,
          noLock: true,
          migrationLoaderStrategies: [{ extensions: [".ts", ".js"], loader: trackingLoader(current) }],
          logger: { info: logger.info, warn: logger.warn, error: logger.error },
        });
        return { ran: ran.map((m) => m.name) };
      } catch (error) {
        throw explainFailure(error, current.name, direction, migrationsDir);
      } finally {
        // A failure can leave the session in an aborted transaction (node-pg-migrate#1752); the
        // unlock below would fail and the lock stay held. ROLLBACK outside a transaction is a no-op.
        await client.query("ROLLBACK").catch(() => undefined);
        await releaseMigrationLock(client).catch((error: Error) =>
          logger.warn(`could not release the migration lock: ${error.message}`),
        );
      }
    } finally {
      await resetSessionSettings(client).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  } finally {
    await database.close();
  }
}

function explainFailure(error: unknown, migration: string | undefined, direction: "up" | "down", dir: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/^Not run migration .* is preceding already run migration/.test(message)) {
    return new MigrationError(
      `Migration order check failed in ${dir}: ${message}. A file was added with a prefix older than ` +
        "an applied migration (a parallel branch?): rename it with a newer UTC prefix (npm run migrate:create).",
      undefined,
      direction,
      { cause: error },
    );
  }
  if (migration === undefined) {
    return new MigrationError(`Migration run (${direction}) failed: ${message}`, undefined, direction, {
      cause: error,
    });
  }
  const detail = (error as { detail?: string }).detail;
  return new MigrationError(
    `Migration ${migration} failed (${direction}); every migration of this run was rolled back: ${message}` +
      (detail ? ` (${detail})` : ""),
    migration,
    direction,
    { cause: error },
  );
}

/**
 * Under the migration lock, before node-pg-migrate runs: a database migrated while the ledger was
 * public.pgmigrations (and without migration_ledger.pgmigrations) gets it moved, in one transaction,
 * so the run finds every migration applied instead of re-applying them all. `SET SCHEMA` keeps the
 * rows, ids, the id sequence and the ACL; that ACL holds the row rights public's default privileges
 * gave (the app role's INSERT, UPDATE, DELETE in the deployed stack), so every non-owner's right
 * other than SELECT is revoked. Returns whether the ledger's schema exists now.
 */
async function prepareLedger(client: pg.ClientBase, logger: MigrateLogger): Promise<{ schemaExists: boolean }> {
  let found: { legacy: string | null; ledger: string | null; schema: string | null };
  await client.query("BEGIN");
  try {
    const { rows } = await client.query<typeof found>(
      "SELECT to_regclass($1)::text AS legacy, to_regclass($2)::text AS ledger, to_regnamespace($3)::text AS schema",
      [LEGACY_LEDGER, LEDGER, `"${MIGRATIONS_SCHEMA}"`],
    );
    found = rows[0] ?? { legacy: null, ledger: null, schema: null };
    if (found.legacy !== null && found.ledger === null) {
      if (found.schema === null) await client.query(`CREATE SCHEMA "${MIGRATIONS_SCHEMA}"`);
      await client.query(`ALTER TABLE ${LEGACY_LEDGER} SET SCHEMA "${MIGRATIONS_SCHEMA}"`);
      await revokeLedgerWrites(client);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw new Error(`Could not move the migration ledger ${LEGACY_LEDGER} to ${LEDGER}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (found.legacy === null) return { schemaExists: found.schema !== null };
  if (found.ledger !== null) {
    logger.warn(
      `both ${LEGACY_LEDGER} and ${LEDGER} exist: ${LEDGER} is the ledger, ${LEGACY_LEDGER} is left as it is ` +
        "(an older migrator made it?): check it and drop it",
    );
    return { schemaExists: true };
  }
  logger.info(`moved the migration ledger ${LEGACY_LEDGER} to ${LEDGER} (nothing re-applied)`);
  return { schemaExists: true };
}

/** Revokes every right but SELECT that a role other than the owner holds on the ledger and its id sequence. */
async function revokeLedgerWrites(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ grantee: string; is_sequence: boolean; relation: string }>(
    `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee,
            c.relkind = 'S' AS is_sequence, c.oid::regclass::text AS relation
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.oid IN ($1::text::regclass, pg_get_serial_sequence($1::text, 'id')::regclass) AND a.grantee <> c.relowner`,
    [LEDGER],
  );
  for (const r of rows) {
    const what = r.is_sequence ? "USAGE, UPDATE ON SEQUENCE" : "INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE";
    await client.query(`REVOKE ${what} ${r.relation} FROM ${r.grantee}`);
  }
}

/**
 * The one read of the ledger, on whatever connection `db` is: the CLI's own client or the app's
 * pool. No ledger schema or table yet means nothing applied.
 */
export async function readMigrationStatus(db: LedgerQueryable, names: string[]): Promise<MigrationStatus> {
  const { rows: exists } = await db.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [LEDGER]);
  if (!exists[0]?.t) return { applied: [], pending: names };
  const { rows } = await db.query<{ name: string }>(`SELECT name FROM ${LEDGER} ORDER BY run_on, id`);
  const applied = rows.map((r) => r.name);
  const appliedSet = new Set(applied);
  return { applied, pending: names.filter((n) => !appliedSet.has(n)) };
}

/**
 * Applied and pending migrations on a connection the caller already has (the app's pool, for
 * /readyz): no connection of its own.
 */
export async function migrationStatusOn(db: LedgerQueryable, opts: { migrationsDir?: string } = {}): Promise<MigrationStatus> {
  const names = await listMigrationNames(resolve(opts.migrationsDir ?? defaultMigrationsDir));
  return readMigrationStatus(db, names);
}

/** Applied and pending migration names (without extension), each in order, on a connection of its own (the CLI, the infra). */
export async function migrationStatus(opts: { databaseUrl: string; migrationsDir?: string }): Promise<MigrationStatus> {
  const names = await listMigrationNames(resolve(opts.migrationsDir ?? defaultMigrationsDir));
  const database = await resolveDatabase(opts.databaseUrl);
  try {
    const client = new pg.Client({
      connectionString: database.connectionString,
      application_name: "confradar-migrate-status",
      connectionTimeoutMillis: 30_000,
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return await readMigrationStatus(client, names);
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await database.close();
  }
}
