// The offline postgresql plugin's handlers called directly (not through the Pulumi engine) against a
// real PostgreSQL in the local image, reached on a port published on 127.0.0.1: roles, a database,
// grants, default privileges, their drift as refresh reads it, and their removal, each checked with
// the server's own catalogs and by logging in as the roles.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import localImages from "../../images/local-images.json" with { type: "json" };
import type { CheckFailure, OperationContext } from "../../offline/plugins/core/resource.js";
import { databaseHandler } from "../../offline/plugins/postgresql/database.js";
import { defaultPrivilegesHandler } from "../../offline/plugins/postgresql/defaultPrivileges.js";
import { grantHandler, type GrantInputs } from "../../offline/plugins/postgresql/grant.js";
import { roleHandler } from "../../offline/plugins/postgresql/role.js";
import { postgresConfig, PostgresSession } from "../../offline/plugins/postgresql/session.js";
import { freeLoopbackPort, removeLabelled, requireDocker, requireImage, startLocalPostgres } from "./pulumiProject.js";

const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = "org.confradar.offline-plugins-postgresql-run";
const superPassword = randomBytes(12).toString("hex");
const owner = { name: "opp_owner", password: randomBytes(12).toString("hex") };
const reader = { name: "opp_reader", password: randomBytes(12).toString("hex") };
const outsider = { name: "opp_outsider", password: randomBytes(12).toString("hex") };
const database = "opp_db";
let port = 0;
let session: PostgresSession;
const openClients: pg.Client[] = [];

function ctx(name: string): OperationContext<PostgresSession> {
  return { urn: `urn:pulumi:test::offline-plugins::postgresql:test::${name}`, name, timeoutSeconds: 0, session };
}

/** What the engine's `check` does before create: defaults, then validation. */
function checked<I>(handler: { withDefaults?(inputs: I): I; validate?(inputs: I): CheckFailure[] }, inputs: I): I {
  const defaulted = handler.withDefaults ? handler.withDefaults(inputs) : inputs;
  expect(handler.validate?.(defaulted) ?? []).toEqual([]);
  return defaulted;
}

async function connect(user: string, password: string, db = "postgres"): Promise<pg.Client> {
  const client = new pg.Client({ host: "127.0.0.1", port, user, password, database: db, connectionTimeoutMillis: 10_000 });
  // A backend ended by the server (a dropped database) must not become an unhandled error.
  client.on("error", () => undefined);
  await client.connect();
  openClients.push(client);
  return client;
}

/** Runs one statement as `user` in `db` on a connection of its own. */
async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  params: unknown[] = [],
  { db = "postgres", user = "postgres", password = superPassword } = {},
): Promise<T[]> {
  const client = await connect(user, password, db);
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** The SQLSTATE of a failed login, or "connected". */
async function loginOutcome(user: string, password: string, db: string): Promise<string> {
  try {
    const client = await connect(user, password, db);
    await client.end();
    return "connected";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const hasTablePrivilege = async (role: string, table: string, privilege: string) =>
  (
    await query<{ ok: boolean }>("SELECT has_table_privilege($1, $2, $3) AS ok", [role, table, privilege], {
      db: database,
    })
  )[0]!.ok;

beforeAll(async () => {
  requireDocker();
  requireImage(localImages.postgres);
  port = await freeLoopbackPort();
  await startLocalPostgres({
    image: localImages.postgres,
    name: `confradar-opp-${runId}`,
    label: `${label}=${runId}`,
    runArgs: ["-e", `POSTGRES_PASSWORD=${superPassword}`, "-p", `127.0.0.1:${port}:5432`],
  });
  // Ready inside the container; the published port may answer a moment later.
  for (let attempt = 0; ; attempt++) {
    try {
      await query("SELECT 1");
      break;
    } catch (error) {
      if (attempt >= 40) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const config = {
    host: "127.0.0.1",
    port,
    username: "postgres",
    password: superPassword,
    database: "postgres",
    sslmode: "disable",
    superuser: true,
  };
  session = new PostgresSession(postgresConfig(config), config);
});

afterAll(async () => {
  await Promise.allSettled(openClients.map((client) => client.end()));
  // The session has no close: end its pools (one per database) so no socket outlives the server.
  const pools = (session as unknown as { pools?: Map<string, pg.Pool> } | undefined)?.pools;
  await Promise.allSettled([...(pools?.values() ?? [])].map((pool) => pool.end()));
  removeLabelled(label, runId);
});

describe("postgresql Role, Database, Grant and DefaultPrivileges", () => {
  const ownerInputs = () => checked(roleHandler, { name: owner.name, login: true, password: owner.password, connectionLimit: 5 });
  let ownerState: Awaited<ReturnType<typeof roleHandler.create>>["state"];

  it("creates a login role whose password works, and reads its connection limit", async () => {
    expect(await loginOutcome(owner.name, owner.password, "postgres")).toBe("28P01");
    const created = await roleHandler.create(ownerInputs(), ctx("owner"));
    ownerState = created.state;
    expect(created.id).toBe(owner.name);
    expect(created.state).toMatchObject({ name: owner.name, login: true, connectionLimit: 5, superuser: false });
    expect(await loginOutcome(owner.name, owner.password, "postgres")).toBe("connected");
    expect(await loginOutcome(owner.name, "not-the-password", "postgres")).toBe("28P01");

    const read = await roleHandler.read(owner.name, ownerState, ownerInputs(), ctx("owner"));
    expect(read?.inputs).toMatchObject({ name: owner.name, login: true, connectionLimit: 5 });
    expect(read?.state.connectionLimit).toBe(5);
  });

  it("changes the connection limit in place, keeping the password", async () => {
    const news = { ...ownerInputs(), connectionLimit: 7 };
    const state = await roleHandler.update!(owner.name, ownerState, news, ownerInputs(), ctx("owner"));
    expect(state.connectionLimit).toBe(7);
    const rows = await query<{ rolconnlimit: number }>("SELECT rolconnlimit FROM pg_roles WHERE rolname = $1", [owner.name]);
    expect(rows).toEqual([{ rolconnlimit: 7 }]);
    expect(await loginOutcome(owner.name, owner.password, "postgres")).toBe("connected");
    // Drift made by hand shows in read.
    await query(`ALTER ROLE ${owner.name} CONNECTION LIMIT 9`);
    expect((await roleHandler.read(owner.name, state, news, ctx("owner")))?.inputs.connectionLimit).toBe(9);
  });

  it("creates a database owned by the role, from template0 in UTF8", async () => {
    const inputs = checked(databaseHandler, { name: database, owner: owner.name, template: "template0", encoding: "UTF8" });
    const { id, state } = await databaseHandler.create(inputs, ctx("db"));
    expect(id).toBe(database);
    expect(state).toMatchObject({ name: database, owner: owner.name, encoding: "UTF8", template: "template0" });
    const rows = await query(
      "SELECT pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = $1",
      [database],
    );
    expect(rows).toEqual([{ owner: owner.name, encoding: "UTF8" }]);
    expect((await databaseHandler.read(id, state, inputs, ctx("db")))?.inputs.owner).toBe(owner.name);
  });

  const readerInputs = () => checked(roleHandler, { name: reader.name, login: true, password: reader.password });
  const connectGrant: GrantInputs = { database, role: reader.name, objectType: "database", privileges: ["CONNECT"] };
  const tableGrant: GrantInputs = {
    database,
    role: reader.name,
    schema: "public",
    objectType: "table",
    privileges: ["SELECT"],
  };
  const defaults = {
    database,
    role: reader.name,
    owner: owner.name,
    schema: "public",
    objectType: "table",
    privileges: ["SELECT"],
  };

  it("grants CONNECT on the database to a second role", async () => {
    await roleHandler.create(readerInputs(), ctx("reader"));
    const { id, state } = await grantHandler.create(checked(grantHandler, connectGrant), ctx("connect"));
    expect(id).toBe(`${reader.name}_${database}_database`);
    const rows = await query<{ acl: string }>("SELECT datacl::text AS acl FROM pg_database WHERE datname = $1", [database]);
    expect(rows[0]!.acl).toContain(`${reader.name}=c/`);
    expect((await grantHandler.read(id, state, connectGrant, ctx("connect")))?.inputs.privileges).toEqual(["CONNECT"]);
  });

  it("revokes before it grants, as the official plugin: a database grant to the owner without CREATE takes the owner's CREATE away", async () => {
    const canCreate = async () =>
      (await query<{ ok: boolean }>("SELECT has_database_privilege($1, $2, 'CREATE') AS ok", [owner.name, database]))[0]!.ok;
    expect(await canCreate()).toBe(true);
    const ownerConnect: GrantInputs = { database, role: owner.name, objectType: "database", privileges: ["CONNECT"] };
    const created = await grantHandler.create(checked(grantHandler, ownerConnect), ctx("owner-connect"));
    expect(await canCreate()).toBe(false);
    // What infra/components/databaseAccess.ts gives the migrator: CREATE stays in the list.
    const withCreate: GrantInputs = { ...ownerConnect, privileges: ["CONNECT", "CREATE", "TEMPORARY"] };
    await grantHandler.update!(created.id, created.state, checked(grantHandler, withCreate), ownerConnect, ctx("owner-connect"));
    expect(await canCreate()).toBe(true);
  });

  it("grants SELECT on the schema's tables, reads a revoke made by hand as drift, and grants again", async () => {
    await query("CREATE TABLE public.t1 (id int); INSERT INTO public.t1 VALUES (1)", [], {
      db: database,
      user: owner.name,
      password: owner.password,
    });
    expect(await hasTablePrivilege(reader.name, "public.t1", "SELECT")).toBe(false);
    const { id, state } = await grantHandler.create(checked(grantHandler, tableGrant), ctx("tables"));
    expect(id).toBe(`${reader.name}_${database}_public_table`);
    expect(await hasTablePrivilege(reader.name, "public.t1", "SELECT")).toBe(true);
    expect(await query("SELECT id FROM public.t1", [], { db: database, user: reader.name, password: reader.password })).toEqual([
      { id: 1 },
    ]);
    expect((await grantHandler.read(id, state, tableGrant, ctx("tables")))?.inputs.privileges).toEqual(["SELECT"]);

    await query(`REVOKE SELECT ON public.t1 FROM ${reader.name}`, [], { db: database });
    const drifted = await grantHandler.read(id, state, tableGrant, ctx("tables"));
    expect(drifted).toBeDefined();
    expect(drifted!.inputs.privileges).not.toContain("SELECT");
    expect(drifted!.inputs.privileges).toEqual([]);

    await grantHandler.update!(id, state, tableGrant, drifted!.inputs, ctx("tables"));
    expect(await hasTablePrivilege(reader.name, "public.t1", "SELECT")).toBe(true);
  });

  it("gives the grantee SELECT on tables the owner creates later (default privileges)", async () => {
    const inputs = checked(defaultPrivilegesHandler, defaults);
    const { id, state } = await defaultPrivilegesHandler.create(inputs, ctx("defaults"));
    expect(id).toBe(`${reader.name}_${database}_public_${owner.name}_table`);
    await query("CREATE TABLE public.t2 (id int); INSERT INTO public.t2 VALUES (2)", [], {
      db: database,
      user: owner.name,
      password: owner.password,
    });
    expect(await hasTablePrivilege(reader.name, "public.t2", "SELECT")).toBe(true);
    expect(await query("SELECT id FROM public.t2", [], { db: database, user: reader.name, password: reader.password })).toEqual([
      { id: 2 },
    ]);
    expect((await defaultPrivilegesHandler.read(id, state, inputs, ctx("defaults")))?.inputs.privileges).toEqual(["SELECT"]);
  });

  it("revokes on delete: default privileges, then the table grant", async () => {
    const defaultsInputs = checked(defaultPrivilegesHandler, defaults);
    await defaultPrivilegesHandler.delete("", {}, defaultsInputs, ctx("defaults"));
    await query("CREATE TABLE public.t3 (id int)", [], { db: database, user: owner.name, password: owner.password });
    expect(await hasTablePrivilege(reader.name, "public.t3", "SELECT")).toBe(false);
    // Read as refresh does: nothing left of wanted privileges means gone.
    expect(await defaultPrivilegesHandler.read("", {}, defaultsInputs, ctx("defaults"))).toBeUndefined();

    expect(await hasTablePrivilege(reader.name, "public.t1", "SELECT")).toBe(true);
    await grantHandler.delete("", {}, tableGrant, ctx("tables"));
    for (const table of ["public.t1", "public.t2"]) expect(await hasTablePrivilege(reader.name, table, "SELECT")).toBe(false);
  });

  it("revokes PUBLIC's CONNECT with an empty privilege list: only granted roles still log in", async () => {
    await roleHandler.create(checked(roleHandler, { name: outsider.name, login: true, password: outsider.password }), ctx("o"));
    expect(await loginOutcome(outsider.name, outsider.password, database)).toBe("connected");
    const publicGrant: GrantInputs = { database, role: "public", objectType: "database", privileges: [] };
    const { id, state } = await grantHandler.create(checked(grantHandler, publicGrant), ctx("public"));
    expect(id).toBe(`public_${database}_database`);
    expect(await loginOutcome(outsider.name, outsider.password, database)).toBe("42501");
    expect(await loginOutcome(reader.name, reader.password, database)).toBe("connected");
    expect((await grantHandler.read(id, state, publicGrant, ctx("public")))?.inputs.privileges).toEqual([]);

    // Deleting the reader's CONNECT grant now locks it out too.
    await grantHandler.delete("", {}, connectGrant, ctx("connect"));
    expect(await loginOutcome(reader.name, reader.password, database)).toBe("42501");
    expect((await grantHandler.read("", {}, connectGrant, ctx("connect")))?.inputs.privileges).toEqual([]);
  });

  it("runs grants on the same schema in parallel without a failure", async () => {
    const roles = Array.from({ length: 6 }, (_, i) => `opp_parallel_${i}`);
    for (const name of roles) await roleHandler.create(checked(roleHandler, { name }), ctx(name));
    const grants: GrantInputs[] = roles.map((role, i) =>
      i % 2 === 0
        ? { database, role, schema: "public", objectType: "schema", privileges: ["USAGE"] }
        : { database, role, schema: "public", objectType: "table", privileges: ["SELECT", "INSERT"] },
    );
    const settled = await Promise.allSettled(grants.map((g, i) => grantHandler.create(checked(grantHandler, g), ctx(`p${i}`))));
    expect(settled.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    for (const [i, role] of roles.entries()) {
      const rows = await query<{ ok: boolean }>(
        i % 2 === 0
          ? "SELECT has_schema_privilege($1, 'public', 'USAGE') AS ok"
          : "SELECT bool_and(has_table_privilege($1, c.oid, 'SELECT') AND has_table_privilege($1, c.oid, 'INSERT')) AS ok FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'",
        [role],
        { db: database },
      );
      expect(rows[0]!.ok, role).toBe(true);
    }
    const reads = await Promise.all(grants.map((g) => grantHandler.read("", {}, g, ctx("read"))));
    expect(reads.map((r) => r?.inputs.privileges)).toEqual(grants.map((g) => g.privileges));

    const deleted = await Promise.allSettled(grants.map((g) => grantHandler.delete("", {}, g, ctx("del"))));
    expect(deleted.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const left = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT a.grantee FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = 'public'::regnamespace
         UNION ALL
         SELECT a.grantee FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public'
       ) g WHERE g.grantee IN (SELECT oid FROM pg_roles WHERE rolname LIKE 'opp\\_parallel\\_%')`,
      [],
      { db: database },
    );
    expect(left).toEqual([{ n: 0 }]);
  });

  it("drops the database while a client is connected to it", async () => {
    const client = await connect(owner.name, owner.password, database);
    expect((await client.query("SELECT current_database() AS db")).rows).toEqual([{ db: database }]);
    const inputs = checked(databaseHandler, { name: database, owner: owner.name, template: "template0", encoding: "UTF8" });
    const state = (await databaseHandler.read(database, { template: "template0" } as never, inputs, ctx("db")))!.state;
    await databaseHandler.delete(database, state, inputs, ctx("db"));
    expect(await query("SELECT 1 FROM pg_database WHERE datname = $1", [database])).toEqual([]);
    expect(await databaseHandler.read(database, state, inputs, ctx("db"))).toBeUndefined();
    await expect(client.query("SELECT 1")).rejects.toThrow();
    // What lived in it is gone with it: reads find nothing, deletes have nothing to do.
    expect(await grantHandler.read("", {}, tableGrant, ctx("tables"))).toBeUndefined();
    await expect(grantHandler.delete("", {}, tableGrant, ctx("tables"))).resolves.toBeUndefined();
  });

  it("drops the roles", async () => {
    const names = [owner.name, reader.name, outsider.name, ...Array.from({ length: 6 }, (_, i) => `opp_parallel_${i}`)];
    for (const name of names) await roleHandler.delete(name, {} as never, { name }, ctx(name));
    expect(await query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'opp\\_%'")).toEqual([]);
    expect(await roleHandler.read(owner.name, ownerState, ownerInputs(), ctx("owner"))).toBeUndefined();
    expect(await loginOutcome(owner.name, owner.password, "postgres")).toBe("28P01");
  });
});

// Managed servers have no real superuser: an admin with CREATEROLE and CREATEDB, as RDS's master
// user. The handlers work as the official provider with `superuser: false`: a membership in the
// owner for each statement, none left afterwards.
describe("the same resources as an admin that is not a superuser (superuser: false)", () => {
  const admin = { name: "opp_na_admin", password: randomBytes(12).toString("hex") };
  const naOwner = { name: "opp_na_owner", password: randomBytes(12).toString("hex") };
  const naReader = { name: "opp_na_reader", password: randomBytes(12).toString("hex") };
  const naDatabase = "opp_na_db";
  let adminSession: PostgresSession;
  const actx = (name: string): OperationContext<PostgresSession> => ({ ...ctx(name), session: adminSession });
  const memberships = async () =>
    (
      await query<{ role: string }>(
        "SELECT pg_get_userbyid(roleid) AS role FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        [admin.name],
      )
    ).map((r) => r.role);

  beforeAll(async () => {
    await query(`CREATE ROLE ${admin.name} LOGIN PASSWORD '${admin.password}' CREATEROLE CREATEDB NOSUPERUSER`);
    const config = {
      host: "127.0.0.1",
      port,
      username: admin.name,
      password: admin.password,
      database: "postgres",
      sslmode: "disable",
      superuser: false,
    };
    adminSession = new PostgresSession(postgresConfig(config), config);
  });

  afterAll(async () => {
    const pools = (adminSession as unknown as { pools?: Map<string, pg.Pool> } | undefined)?.pools;
    await Promise.allSettled([...(pools?.values() ?? [])].map((pool) => pool.end()));
    await query(`DROP ROLE IF EXISTS ${admin.name}`).catch(() => undefined);
  });

  it("creates the roles and a database owned by one of them, keeping no membership", async () => {
    for (const role of [naOwner, naReader])
      await roleHandler.create(checked(roleHandler, { name: role.name, login: true, password: role.password }), actx(role.name));
    await databaseHandler.create(
      checked(databaseHandler, { name: naDatabase, owner: naOwner.name, template: "template0", encoding: "UTF8" }),
      actx("db"),
    );
    expect(await query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", [naDatabase])).toEqual([
      { owner: naOwner.name },
    ]);
    expect(await memberships()).toEqual([]);
  });

  it("grants on what the owner owns and sets its default privileges, then holds no membership", async () => {
    const grant = (inputs: GrantInputs) => grantHandler.create(checked(grantHandler, inputs), actx("grant"));
    await grant({ database: naDatabase, role: admin.name, objectType: "database", privileges: ["CONNECT"] });
    await grant({ database: naDatabase, role: "public", objectType: "database", privileges: [] });
    await grant({ database: naDatabase, role: naReader.name, objectType: "database", privileges: ["CONNECT"] });
    const ownerClient = await connect(naOwner.name, naOwner.password, naDatabase);
    await ownerClient.query("CREATE TABLE before_grant (id int)");
    await ownerClient.end();
    await grant({ database: naDatabase, role: naReader.name, schema: "public", objectType: "schema", privileges: ["USAGE"] });
    await grant({ database: naDatabase, role: naReader.name, schema: "public", objectType: "table", privileges: ["SELECT"] });
    await defaultPrivilegesHandler.create(
      checked(defaultPrivilegesHandler, {
        database: naDatabase,
        role: naReader.name,
        owner: naOwner.name,
        schema: "public",
        objectType: "table",
        privileges: ["SELECT"],
      }),
      actx("defaults"),
    );
    const later = await connect(naOwner.name, naOwner.password, naDatabase);
    await later.query("CREATE TABLE after_grant (id int)");
    await later.end();
    for (const table of ["before_grant", "after_grant"]) {
      const [row] = await query<{ ok: boolean }>("SELECT has_table_privilege($1, $2, 'SELECT') AS ok", [naReader.name, table], {
        db: naDatabase,
      });
      expect(row!.ok, table).toBe(true);
    }
    expect(await loginOutcome(naReader.name, naReader.password, naDatabase)).toBe("connected");
    expect(await memberships()).toEqual([]);
  });

  it("drops the database and the roles it created", async () => {
    const inputs = checked(databaseHandler, { name: naDatabase, owner: naOwner.name, template: "template0", encoding: "UTF8" });
    await databaseHandler.delete(naDatabase, { template: "template0" } as never, inputs, actx("db"));
    for (const role of [naReader, naOwner])
      await roleHandler.delete(role.name, {} as never, { name: role.name }, actx(role.name));
    expect(await query("SELECT datname FROM pg_database WHERE datname = $1", [naDatabase])).toEqual([]);
    expect(await query("SELECT rolname FROM pg_roles WHERE rolname IN ($1, $2)", [naOwner.name, naReader.name])).toEqual([]);
    expect(await memberships()).toEqual([]);
  });
});
