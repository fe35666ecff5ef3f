/**
 * The migration ledger lives in its own schema (app/src/migrate/ledger.ts), out of reach of the app
 * role's row rights on public; a database migrated while it was public.pgmigrations gets it moved,
 * not re-migrated. On whichever store this run uses.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  listMigrationNames,
  MIGRATIONS_SCHEMA,
  MIGRATIONS_TABLE,
  migrationStatus,
  migrationStatusOn,
  runMigrations,
  type MigrateLogger,
} from "../../app/src/migrate/index.js";
import { adminQuery, emptyDatabase, testDatabaseKind, type TestDatabase } from "../helpers/database.js";
import { rows } from "./migrations-support.js";

const kind = testDatabaseKind();
// Roles are per cluster on a server: a name of this run's own, dropped in afterAll.
const appRole = `confradar_ledger_app_${randomBytes(4).toString("hex")}`;
let db: TestDatabase;
let url: string;
let all: string[];

interface LedgerRow {
  id: number;
  name: string;
  run_on: string;
}

const ledgerRows = (schema: string) =>
  rows<LedgerRow>(url, `SELECT id, name, run_on::text AS run_on FROM ${schema}.${MIGRATIONS_TABLE} ORDER BY id`);

async function ledgerTables(): Promise<string[]> {
  const r = await rows<{ t: string }>(
    url,
    `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_name = '${MIGRATIONS_TABLE}' ORDER BY 1`,
  );
  return r.map((x) => x.t);
}

/** Puts the ledger back where the code before this change kept it: public.pgmigrations, no schema of its own. */
async function backToTheOldLayout(opts: { keepSchema: boolean }): Promise<void> {
  await rows(url, `ALTER TABLE ${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE} SET SCHEMA public`);
  if (!opts.keepSchema) await rows(url, `DROP SCHEMA ${MIGRATIONS_SCHEMA}`);
  // What the deployed stack's default privileges on public gave the app role on the old ledger.
  await rows(url, `GRANT SELECT, INSERT, UPDATE, DELETE ON public.${MIGRATIONS_TABLE} TO ${appRole}`);
  await rows(url, `GRANT USAGE, SELECT ON SEQUENCE public.${MIGRATIONS_TABLE}_id_seq TO ${appRole}`);
}

const privileges = async (relation: string, kinds: string[]) =>
  Object.fromEntries(
    await Promise.all(
      kinds.map(async (k) => {
        const fn = relation.endsWith("_seq") ? "has_sequence_privilege" : "has_table_privilege";
        const [r] = await rows<{ ok: boolean }>(url, `SELECT ${fn}($1, $2, $3) AS ok`, [appRole, relation, k]);
        return [k, r!.ok] as const;
      }),
    ),
  );

function capturingLogger(): MigrateLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

beforeAll(async () => {
  db = await emptyDatabase();
  url = db.connectionString;
  all = await listMigrationNames();
  await rows(url, `CREATE ROLE ${appRole}`);
});

afterAll(async () => {
  await db?.close();
  // The database went with close(), and with it everything granted to the role in it.
  if (kind === "postgres") await adminQuery(`DROP ROLE IF EXISTS ${appRole}`);
});

describe(`the migration ledger on ${kind === "postgres" ? "a PostgreSQL server" : "embedded PGlite"}`, () => {
  it("is outside public, so the app role's default privileges on public do not reach it", async () => {
    // The deployed stack's grant, as the migrator (here the admin that runs the migrations).
    await rows(url, `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${appRole}`);
    expect((await runMigrations({ databaseUrl: url })).ran).toEqual(all);
    expect(await ledgerTables()).toEqual([`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`]);
    expect(await privileges("public.conferences", ["INSERT", "DELETE"])).toEqual({ INSERT: true, DELETE: true });
    expect(await privileges(`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`, ["INSERT", "UPDATE", "DELETE"])).toEqual({
      INSERT: false,
      UPDATE: false,
      DELETE: false,
    });
  });

  it("reads as nothing applied on a pool when the schema or the table is missing", async () => {
    const empty = await emptyDatabase();
    const pool = new pg.Pool({ connectionString: empty.connectionString, max: 1 });
    try {
      expect(await migrationStatusOn(pool)).toEqual({ applied: [], pending: all });
      await pool.query(`CREATE SCHEMA ${MIGRATIONS_SCHEMA}`);
      expect(await migrationStatusOn(pool)).toEqual({ applied: [], pending: all });
    } finally {
      await pool.end();
      await empty.close();
    }
  });

  it("an old-layout database (public.pgmigrations, no schema) is moved, not re-migrated", async () => {
    // Two migrations pending at the time of the upgrade: the run must apply exactly those.
    await runMigrations({ databaseUrl: url, direction: "down", count: 2 });
    await backToTheOldLayout({ keepSchema: false });
    const before = await ledgerRows("public");
    expect(before.map((r) => r.name)).toEqual(all.slice(0, -2));
    // What the code reads now: the ledger is not where it looks any more.
    expect(await migrationStatus({ databaseUrl: url })).toEqual({ applied: [], pending: all });

    const logger = capturingLogger();
    const { ran } = await runMigrations({ databaseUrl: url, logger });
    expect(ran).toEqual(all.slice(-2));
    expect(logger.lines).toContain(
      `info: moved the migration ledger "public"."${MIGRATIONS_TABLE}" to "${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}" (nothing re-applied)`,
    );
    expect(await ledgerTables()).toEqual([`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`]);
    // The same rows, ids and times: moved, not rebuilt.
    expect((await ledgerRows(MIGRATIONS_SCHEMA)).slice(0, before.length)).toEqual(before);
    expect(await migrationStatus({ databaseUrl: url })).toEqual({ applied: all, pending: [] });
    // The ACL moved with the table; every right but SELECT was taken away from the app role.
    expect(await privileges(`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`, ["SELECT", "INSERT", "UPDATE", "DELETE"])).toEqual({
      SELECT: true,
      INSERT: false,
      UPDATE: false,
      DELETE: false,
    });
    expect(await privileges(`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}_id_seq`, ["USAGE", "UPDATE", "SELECT"])).toEqual({
      USAGE: false,
      UPDATE: false,
      SELECT: true,
    });
    expect((await runMigrations({ databaseUrl: url })).ran).toEqual([]);
  });

  it("is moved into a schema the infra created beforehand, too", async () => {
    await backToTheOldLayout({ keepSchema: true });
    const before = await ledgerRows("public");
    expect((await runMigrations({ databaseUrl: url })).ran).toEqual([]);
    expect(await ledgerTables()).toEqual([`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`]);
    expect(await ledgerRows(MIGRATIONS_SCHEMA)).toEqual(before);
  });

  it("with a ledger in both places, uses its own, warns, and leaves public.pgmigrations alone", async () => {
    await rows(url, `CREATE TABLE public.${MIGRATIONS_TABLE} (LIKE ${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE})`);
    const logger = capturingLogger();
    expect((await runMigrations({ databaseUrl: url, logger })).ran).toEqual([]);
    expect(logger.lines.filter((l) => l.startsWith("warn: "))).toEqual([
      expect.stringMatching(/both "public"\."pgmigrations" and "migration_ledger"\."pgmigrations" exist/),
    ]);
    expect(await ledgerTables()).toEqual([`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`, `public.${MIGRATIONS_TABLE}`]);
    await rows(url, `DROP TABLE public.${MIGRATIONS_TABLE}`);
  });
});
