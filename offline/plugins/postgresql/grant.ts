/**
 * postgresql:index/grant:Grant on a database, a schema, or all tables or sequences of a schema.
 * As the official resource: privileges change in place (revoke the old, grant the new, in one
 * transaction), everything else replaces it, delete before replace; delete revokes. A
 * non-superuser admin is made a member of the objects' owners for the statements (grantOwners).
 */
import type * as postgresql from "@pulumi/postgresql";
import type * as pulumi from "@pulumi/pulumi";
import type pg from "pg";
import type { CheckFailure, PropertyRules, ResourceHandler } from "../core/resource.js";
import { containsUnknown } from "../core/properties.js";
import { grantee, ident, type PostgresSession } from "./session.js";

export type GrantInputs = pulumi.Unwrap<postgresql.GrantArgs>;

export const GRANT_RULES: PropertyRules<GrantInputs> = {
  database: "replace",
  role: "replace",
  schema: "replace",
  objectType: "replace",
  privileges: "update",
};

/** Privileges each implemented object type accepts (the official lists). */
export const GRANT_PRIVILEGES: Record<string, readonly string[]> = {
  database: ["ALL", "CREATE", "CONNECT", "TEMPORARY"],
  schema: ["ALL", "CREATE", "USAGE"],
  table: ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
  sequence: ["ALL", "USAGE", "SELECT", "UPDATE"],
};

export function validateGrant(inputs: GrantInputs): CheckFailure[] {
  if (containsUnknown(inputs.objectType) || containsUnknown(inputs.privileges)) return [];
  const allowed = GRANT_PRIVILEGES[inputs.objectType];
  if (!allowed)
    return [
      {
        property: "objectType",
        reason: `objectType "${inputs.objectType}" is not implemented by ConfRadar's offline postgresql plugin (${Object.keys(GRANT_PRIVILEGES).join(", ")}): install the official postgresql plugin`,
      },
    ];
  const failures: CheckFailure[] = [];
  if (inputs.objectType !== "database" && !inputs.schema)
    failures.push({ property: "schema", reason: `schema is required for objectType ${inputs.objectType}` });
  for (const privilege of inputs.privileges ?? [])
    if (!allowed.includes(privilege.toUpperCase()))
      failures.push({
        property: "privileges",
        reason: `${privilege} is not a privilege on a ${inputs.objectType} (${allowed.join(", ")})`,
      });
  return failures;
}

/** The official id: role, database, schema (not for a database grant) and object type, joined by "_". */
export function grantId(inputs: GrantInputs): string {
  return [inputs.role, inputs.database, ...(inputs.objectType === "database" ? [] : [inputs.schema]), inputs.objectType].join(
    "_",
  );
}

/** The SQL object a grant names: `DATABASE "d"`, `SCHEMA "s"`, `ALL TABLES IN SCHEMA "s"`. */
export function grantTarget(inputs: GrantInputs): string {
  switch (inputs.objectType) {
    case "database":
      return `DATABASE ${ident(inputs.database)}`;
    case "schema":
      return `SCHEMA ${ident(inputs.schema!)}`;
    case "table":
      return `ALL TABLES IN SCHEMA ${ident(inputs.schema!)}`;
    case "sequence":
      return `ALL SEQUENCES IN SCHEMA ${ident(inputs.schema!)}`;
    default:
      throw new Error(`objectType ${inputs.objectType} is not implemented`);
  }
}

/** Revoke everything, then grant the privileges (none: the revoke alone, e.g. PUBLIC's CONNECT). */
export function grantStatements(inputs: GrantInputs, previous: GrantInputs = inputs): string[] {
  const statements = [`REVOKE ALL PRIVILEGES ON ${grantTarget(previous)} FROM ${grantee(previous.role)}`];
  const privileges = (inputs.privileges ?? []).map((p) => p.toUpperCase());
  if (privileges.length > 0)
    statements.push(`GRANT ${[...privileges].sort().join(",")} ON ${grantTarget(inputs)} TO ${grantee(inputs.role)}`);
  return statements;
}

/** The database a grant's statements run in: a database grant runs from the provider's database. */
function targetDatabase(session: PostgresSession, inputs: GrantInputs): string {
  return inputs.objectType === "database" ? session.config.database : inputs.database;
}

/** The privileges the role holds now; for tables and sequences, those it holds on every one. */
async function livePrivileges(client: pg.PoolClient, inputs: GrantInputs): Promise<string[] | undefined> {
  const roleOid = inputs.role.toLowerCase() === "public" ? "0" : "(SELECT oid FROM pg_roles WHERE rolname = $2)";
  const params = inputs.role.toLowerCase() === "public" ? [] : [inputs.role];
  const shift = (sql: string) => (params.length ? sql : sql.replace("$2", "$1"));
  if (inputs.objectType === "database") {
    const { rows } = await client.query(
      `SELECT privilege_type FROM pg_database d, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
        WHERE d.datname = $1 AND a.grantee = ${roleOid}`,
      [inputs.database, ...params],
    );
    return rows.map((r) => String(r.privilege_type));
  }
  if (inputs.objectType === "schema") {
    const { rows } = await client.query(
      `SELECT privilege_type FROM pg_namespace n, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a
        WHERE n.nspname = $1 AND a.grantee = ${roleOid}`,
      [inputs.schema, ...params],
    );
    return rows.map((r) => String(r.privilege_type));
  }
  const kinds = inputs.objectType === "table" ? "('r','p','v','m','f')" : "('S')";
  const kindCode = inputs.objectType === "table" ? "r" : "s";
  const { rows } = await client.query(
    shift(
      `SELECT c.relname, COALESCE(array_agg(a.privilege_type) FILTER (WHERE a.grantee = ${roleOid}), '{}') AS privileges
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN LATERAL aclexplode(COALESCE(c.relacl, acldefault('${kindCode}', c.relowner))) a ON true
        WHERE n.nspname = $1 AND c.relkind IN ${kinds}
        GROUP BY c.relname`,
    ),
    [inputs.schema, ...params],
  );
  if (rows.length === 0) return undefined;
  const sets = rows.map((r) => new Set((r.privileges as string[]).map(String)));
  return [...sets[0]!].filter((p) => sets.every((set) => set.has(p)));
}

/** Compares as the official provider: ALL equals the full list of the object type. */
export function samePrivileges(objectType: string, expected: string[], live: string[]): boolean {
  const expand = (list: string[]) =>
    new Set(
      list.flatMap((p) =>
        p.toUpperCase() === "ALL" ? (GRANT_PRIVILEGES[objectType] ?? []).filter((x) => x !== "ALL") : [p.toUpperCase()],
      ),
    );
  const a = expand(expected);
  const b = expand(live);
  return a.size === b.size && [...a].every((p) => b.has(p));
}

/**
 * The roles whose rights a grant is given with, as the official provider's getRolesToGrant: the
 * database's owner, the schema's owner, and for tables and sequences also every owner of one
 * (pg_database_owner resolved to the database's owner). A non-superuser admin is made a member of
 * them for the statements.
 */
export async function grantOwners(client: pg.PoolClient, inputs: GrantInputs): Promise<string[]> {
  if (inputs.objectType === "database") {
    const { rows } = await client.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", [
      inputs.database,
    ]);
    return rows.map((r) => String(r.owner));
  }
  const kinds = inputs.objectType === "table" ? "('r','p','v','m','f')" : inputs.objectType === "sequence" ? "('S')" : "('')";
  const { rows } = await client.query(
    `SELECT pg_get_userbyid(n.nspowner) AS owner FROM pg_namespace n WHERE n.nspname = $1
     UNION SELECT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ${kinds}`,
    [inputs.schema],
  );
  const databaseOwner = String(
    (await client.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()")).rows[0]
      .owner,
  );
  return [...new Set(rows.map((r) => (String(r.owner) === "pg_database_owner" ? databaseOwner : String(r.owner))))];
}

export const grantHandler: ResourceHandler<GrantInputs, Record<string, never>, PostgresSession> = {
  token: "postgresql:index/grant:Grant",
  rules: GRANT_RULES,
  unordered: ["privileges"],
  deleteBeforeReplace: true,
  validate: validateGrant,
  async create(inputs, { session }) {
    await session.transactionAs(
      (client) => grantOwners(client, inputs),
      grantStatements(inputs),
      targetDatabase(session, inputs),
    );
    return { id: grantId(inputs), state: {} };
  },
  async read(id, state, inputs, { session }) {
    if (!(await session.databaseExists(inputs.database))) return undefined;
    const live = await session.run(async (client) => {
      if (inputs.role.toLowerCase() !== "public") {
        const role = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [inputs.role]);
        if (role.rowCount === 0) return null;
      }
      if (inputs.schema && inputs.objectType !== "database") {
        const schema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [inputs.schema]);
        if (schema.rowCount === 0) return null;
      }
      return (await livePrivileges(client, inputs)) ?? inputs.privileges ?? [];
    }, inputs.database);
    if (live === null) return undefined;
    const privileges = samePrivileges(inputs.objectType, inputs.privileges ?? [], live) ? inputs.privileges : [...live].sort();
    return { id, state, inputs: { ...inputs, privileges } };
  },
  async update(_id, state, news, olds, { session }) {
    await session.transactionAs(
      (client) => grantOwners(client, news),
      grantStatements(news, olds),
      targetDatabase(session, news),
    );
    return state;
  },
  async delete(_id, _state, inputs, { session }) {
    if (!(await session.databaseExists(inputs.database))) return;
    await session.transactionAs(
      (client) => grantOwners(client, inputs),
      grantStatements({ ...inputs, privileges: [] }),
      targetDatabase(session, inputs),
    );
  },
};
