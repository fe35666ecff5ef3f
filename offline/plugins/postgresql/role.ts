/**
 * postgresql:index/role:Role. Every property changes in place (the official resource has no
 * ForceNew), the password is kept from the state (the server stores only a hash), and delete hands
 * what the role owns to the provider's user before dropping it, as the official provider does.
 */
import type * as postgresql from "@pulumi/postgresql";
import type * as pulumi from "@pulumi/pulumi";
import type { CheckFailure, PropertyRules, ResourceHandler } from "../core/resource.js";
import { containsUnknown } from "../core/properties.js";
import { ident, literal, type PostgresSession } from "./session.js";

export type RoleInputs = pulumi.Unwrap<postgresql.RoleArgs>;

export const ROLE_RULES: PropertyRules<RoleInputs> = {
  name: "update",
  login: "update",
  password: "update",
  connectionLimit: "update",
};

interface RoleState {
  name: string;
  login: boolean;
  connectionLimit: number;
  inherit: boolean;
  superuser: boolean;
  createDatabase: boolean;
  createRole: boolean;
  replication: boolean;
  bypassRowLevelSecurity: boolean;
  encryptedPassword: boolean;
  validUntil: string;
  skipDropRole: boolean;
  skipReassignOwned: boolean;
}

export function roleDefaults(inputs: RoleInputs): RoleInputs {
  return { ...inputs, login: inputs.login ?? false, connectionLimit: inputs.connectionLimit ?? -1 };
}

export function validateRole(inputs: RoleInputs): CheckFailure[] {
  const limit = inputs.connectionLimit as unknown;
  if (typeof limit === "number" && !containsUnknown(limit) && (!Number.isInteger(limit) || limit < -1))
    return [{ property: "connectionLimit", reason: `connectionLimit must be -1 (no limit) or more (got ${limit})` }];
  return [];
}

/** The role's options clause; the password goes in as a literal and never into a log or error. */
export function roleOptions(inputs: RoleInputs): string {
  const withDefaults = roleDefaults(inputs);
  return [
    withDefaults.login ? "LOGIN" : "NOLOGIN",
    `CONNECTION LIMIT ${Number(withDefaults.connectionLimit)}`,
    "NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS",
    "VALID UNTIL 'infinity'",
    withDefaults.password !== undefined ? `ENCRYPTED PASSWORD ${literal(withDefaults.password)}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

async function readRole(session: PostgresSession, name: string): Promise<RoleState | undefined> {
  return await session.run(async (client) => {
    const { rows } = await client.query(
      `SELECT rolname, rolcanlogin, rolconnlimit, rolinherit, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,
              COALESCE(rolvaliduntil::text, 'infinity') AS validuntil
         FROM pg_roles WHERE rolname = $1`,
      [name],
    );
    const row = rows[0] as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return {
      name: String(row.rolname),
      login: Boolean(row.rolcanlogin),
      connectionLimit: Number(row.rolconnlimit),
      inherit: Boolean(row.rolinherit),
      superuser: Boolean(row.rolsuper),
      createDatabase: Boolean(row.rolcreatedb),
      createRole: Boolean(row.rolcreaterole),
      replication: Boolean(row.rolreplication),
      bypassRowLevelSecurity: Boolean(row.rolbypassrls),
      encryptedPassword: true,
      validUntil: String(row.validuntil),
      skipDropRole: false,
      skipReassignOwned: false,
    };
  });
}

/** A statement's failure without the statement (which may hold the password). */
function sqlError(what: string, error: unknown): Error {
  const e = error as { message?: string; code?: string };
  return new Error(`${what} failed: ${e.message ?? String(error)}${e.code ? ` (SQLSTATE ${e.code})` : ""}`);
}

export const roleHandler: ResourceHandler<RoleInputs, RoleState, PostgresSession> = {
  token: "postgresql:index/role:Role",
  rules: ROLE_RULES,
  secretOutputs: ["password"],
  withDefaults: roleDefaults,
  validate: validateRole,
  async create(inputs, { session }) {
    const name = inputs.name!;
    await session
      .run((client) => client.query(`CREATE ROLE ${ident(name)} WITH ${roleOptions(inputs)}`))
      .catch((error: unknown) => {
        throw sqlError(`CREATE ROLE ${name}`, error);
      });
    const state = await readRole(session, name);
    if (!state) throw new Error(`role ${name} was created but pg_roles does not list it`);
    return { id: name, state };
  },
  async read(id, _state, inputs, { session }) {
    const state = await readRole(session, id);
    if (!state) return undefined;
    return { id, state, inputs: { ...inputs, name: state.name, login: state.login, connectionLimit: state.connectionLimit } };
  },
  async update(id, _state, news, olds, { session }) {
    const name = news.name!;
    const rename =
      olds.name !== undefined && olds.name !== name ? [`ALTER ROLE ${ident(olds.name)} RENAME TO ${ident(name)}`] : [];
    await session.transaction([...rename, `ALTER ROLE ${ident(name)} WITH ${roleOptions(news)}`]).catch((error: unknown) => {
      throw sqlError(`ALTER ROLE ${name}`, error);
    });
    const state = await readRole(session, name);
    if (!state) throw new Error(`role ${name} (${id}) is gone: run \`npm run refresh\`, then \`npm run up\``);
    return state;
  },
  async delete(id, _state, _inputs, { session }) {
    const exists = await session.run(
      async (client) => (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [id])).rowCount === 1,
    );
    if (!exists) return;
    // In the provider's database, as the official provider: objects move to the provider's user,
    // privileges go, then the role. A non-superuser admin is a member of the role meanwhile.
    await session
      .transactionAs([id], [`REASSIGN OWNED BY ${ident(id)} TO CURRENT_USER`, `DROP OWNED BY ${ident(id)}`], undefined, [
        `DROP ROLE ${ident(id)}`,
      ])
      .catch((error: unknown) => {
        throw sqlError(`DROP ROLE ${id}`, error);
      });
  },
};
