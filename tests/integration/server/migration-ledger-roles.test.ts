/**
 * Needs a real PostgreSQL server (TEST_DATABASE_URL): the deployed stack's roles, logged in as each.
 * A migrator that owns the ledger's schema (made beforehand, as the infra does) but has no CREATE on
 * the database, and an app role with row rights on public through default privileges and only
 * USAGE + SELECT on the ledger's schema: the app reads the ledger (/readyz) and cannot write it.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../app/src/api/app.js";
import type { Db } from "../../../app/src/db.js";
import {
  listMigrationNames,
  MIGRATIONS_SCHEMA,
  MIGRATIONS_TABLE,
  migrationStatusOn,
  runMigrations,
} from "../../../app/src/migrate/index.js";
import { adminQuery, emptyDatabase, testDatabaseKind, type TestDatabase } from "../../helpers/database.js";
import { openAppDatabase, silentLogger } from "../app-harness.js";
import { rows } from "../migrations-support.js";

const tag = randomBytes(4).toString("hex");
const roles = {
  migrator: { name: `confradar_t_migrator_${tag}`, password: randomBytes(12).toString("hex") },
  app: { name: `confradar_t_app_${tag}`, password: randomBytes(12).toString("hex") },
};
const ledger = `${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`;
let db: TestDatabase;
let appDb: Db | undefined;
let app: FastifyInstance | undefined;
let all: string[];

function urlAs(role: { name: string; password: string }): string {
  const url = new URL(db.connectionString);
  url.username = role.name;
  url.password = role.password;
  return url.toString();
}

beforeAll(async () => {
  if (testDatabaseKind() !== "postgres") {
    throw new Error(
      "tests/integration/server/ needs TEST_DATABASE_URL (run scripts/ci/start-postgres and export what it prints)",
    );
  }
  all = await listMigrationNames();
  db = await emptyDatabase();
  for (const role of Object.values(roles)) {
    await adminQuery(`CREATE ROLE ${role.name} LOGIN PASSWORD '${role.password}'`);
  }
  const database = decodeURIComponent(new URL(db.connectionString).pathname.slice(1));
  const { migrator, app: appRole } = { migrator: roles.migrator.name, app: roles.app.name };
  for (const sql of [
    `REVOKE ALL ON DATABASE "${database}" FROM PUBLIC`,
    `GRANT CONNECT, TEMPORARY ON DATABASE "${database}" TO ${migrator}`,
    `GRANT CONNECT ON DATABASE "${database}" TO ${appRole}`,
    `ALTER SCHEMA public OWNER TO ${migrator}`,
    `GRANT USAGE ON SCHEMA public TO ${appRole}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrator} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${appRole}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrator} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${appRole}`,
    `CREATE SCHEMA ${MIGRATIONS_SCHEMA} AUTHORIZATION ${migrator}`,
    `GRANT USAGE ON SCHEMA ${MIGRATIONS_SCHEMA} TO ${appRole}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrator} IN SCHEMA ${MIGRATIONS_SCHEMA} GRANT SELECT ON TABLES TO ${appRole}`,
  ]) {
    await rows(db.connectionString, sql);
  }
});

afterAll(async () => {
  await app?.close();
  await appDb?.close();
  await db?.close();
  // Dropping the database took every object and grant of the two roles with it.
  for (const role of Object.values(roles)) await adminQuery(`DROP ROLE IF EXISTS ${role.name}`);
});

describe("the migration ledger with the deployed stack's roles", () => {
  it("the migrator applies everything into the schema made beforehand, without CREATE on the database", async () => {
    const [{ create }] = (await rows<{ create: boolean }>(
      db.connectionString,
      "SELECT has_database_privilege($1, current_database(), 'CREATE') AS create",
      [roles.migrator.name],
    )) as [{ create: boolean }];
    expect(create).toBe(false);
    expect((await runMigrations({ databaseUrl: urlAs(roles.migrator) })).ran).toEqual(all);
    expect((await runMigrations({ databaseUrl: urlAs(roles.migrator) })).ran).toEqual([]);
  });

  it("the app role reads the ledger on its pool and /readyz is ready", async () => {
    appDb = await openAppDatabase(urlAs(roles.app), "confradar-ledger-roles-test");
    expect(await migrationStatusOn(appDb)).toEqual({ applied: all, pending: [] });
    app = await buildApp({ db: appDb, logger: silentLogger });
    const res = await app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.json().migrations).toEqual({ applied: all.length });
  });

  it("the app role writes rows in public but cannot write the ledger", async () => {
    await appDb!.query("INSERT INTO topics (slug, name) VALUES ('ledger-probe', 'Ledger probe')");
    for (const sql of [
      `INSERT INTO ${ledger} (name, run_on) VALUES ('20990101000000000_forged', now())`,
      `DELETE FROM ${ledger}`,
      `UPDATE ${ledger} SET run_on = now()`,
      `TRUNCATE ${ledger}`,
    ]) {
      await expect(appDb!.query(sql), sql).rejects.toMatchObject({ code: "42501" });
    }
    expect(await migrationStatusOn(appDb!)).toEqual({ applied: all, pending: [] });
  });
});
