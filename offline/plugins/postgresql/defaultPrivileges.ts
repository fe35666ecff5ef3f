/**
 * postgresql:index/defaultPrivileges:DefaultPrivileges: privileges on what `owner` creates later in
 * a schema. As the official resource: privileges change in place, the rest replaces; delete revokes;
 * a non-superuser admin is a member of the owner for the statements.
 */
import type * as postgresql from "@pulumi/postgresql";
import type * as pulumi from "@pulumi/pulumi";
import type { CheckFailure, PropertyRules, ResourceHandler } from "../core/resource.js";
import { containsUnknown } from "../core/properties.js";
import { GRANT_PRIVILEGES, samePrivileges } from "./grant.js";
import { grantee, ident, type PostgresSession } from "./session.js";

export type DefaultPrivilegesInputs = pulumi.Unwrap<postgresql.DefaultPrivilegesArgs>;

export const DEFAULT_PRIVILEGES_RULES: PropertyRules<DefaultPrivilegesInputs> = {
  database: "replace",
  role: "replace",
  owner: "replace",
  schema: "replace",
  objectType: "replace",
  privileges: "update",
};

/** pg_default_acl's object type codes for the implemented kinds. */
const OBJECT_TYPE_CODES: Record<string, string> = { table: "r", sequence: "S" };

export function validateDefaultPrivileges(inputs: DefaultPrivilegesInputs): CheckFailure[] {
  if (containsUnknown(inputs.objectType)) return [];
  if (!(inputs.objectType in OBJECT_TYPE_CODES))
    return [
      {
        property: "objectType",
        reason: `objectType "${inputs.objectType}" is not implemented by ConfRadar's offline postgresql plugin (table, sequence): install the official postgresql plugin`,
      },
    ];
  const allowed = GRANT_PRIVILEGES[inputs.objectType]!;
  return (containsUnknown(inputs.privileges) ? [] : inputs.privileges)
    .filter((p) => !allowed.includes(p.toUpperCase()))
    .map((p) => ({
      property: "privileges",
      reason: `${p} is not a privilege on a ${inputs.objectType} (${allowed.join(", ")})`,
    }));
}

export function defaultPrivilegesId(inputs: DefaultPrivilegesInputs): string {
  return [inputs.role, inputs.database, inputs.schema ?? "noschema", inputs.owner, inputs.objectType].join("_");
}

export function defaultPrivilegesStatements(inputs: DefaultPrivilegesInputs): string[] {
  const scope = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(inputs.owner)}${inputs.schema ? ` IN SCHEMA ${ident(inputs.schema)}` : ""}`;
  const objects = `${inputs.objectType.toUpperCase()}S`;
  const statements = [`${scope} REVOKE ALL ON ${objects} FROM ${grantee(inputs.role)}`];
  const privileges = inputs.privileges.map((p) => p.toUpperCase());
  if (privileges.length > 0)
    statements.push(`${scope} GRANT ${[...privileges].sort().join(",")} ON ${objects} TO ${grantee(inputs.role)}`);
  return statements;
}

export const defaultPrivilegesHandler: ResourceHandler<DefaultPrivilegesInputs, Record<string, never>, PostgresSession> = {
  token: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  rules: DEFAULT_PRIVILEGES_RULES,
  unordered: ["privileges"],
  validate: validateDefaultPrivileges,
  async create(inputs, { session }) {
    await session.transactionAs([inputs.owner], defaultPrivilegesStatements(inputs), inputs.database);
    return { id: defaultPrivilegesId(inputs), state: {} };
  },
  async read(id, state, inputs, { session }) {
    if (!(await session.databaseExists(inputs.database))) return undefined;
    const live = await session.run(async (client) => {
      const { rows } = await client.query(
        `SELECT a.privilege_type FROM pg_default_acl d
           JOIN pg_namespace n ON n.oid = d.defaclnamespace,
           aclexplode(d.defaclacl) a
          WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = $1) AND n.nspname = $2 AND d.defaclobjtype = $3
            AND a.grantee = ${inputs.role.toLowerCase() === "public" ? "0" : "(SELECT oid FROM pg_roles WHERE rolname = $4)"}`,
        [
          inputs.owner,
          inputs.schema ?? "public",
          OBJECT_TYPE_CODES[inputs.objectType],
          ...(inputs.role.toLowerCase() === "public" ? [] : [inputs.role]),
        ],
      );
      return rows.map((r) => String(r.privilege_type));
    }, inputs.database);
    // As the official provider: none found while some are wanted means gone (recreated by `up`).
    if (live.length === 0 && inputs.privileges.length > 0) return undefined;
    const same = samePrivileges(inputs.objectType, inputs.privileges, live);
    return { id, state, inputs: { ...inputs, privileges: same ? inputs.privileges : [...live].sort() } };
  },
  async update(_id, state, news, _olds, { session }) {
    await session.transactionAs([news.owner], defaultPrivilegesStatements(news), news.database);
    return state;
  },
  async delete(_id, _state, inputs, { session }) {
    if (!(await session.databaseExists(inputs.database))) return;
    await session.transactionAs([inputs.owner], defaultPrivilegesStatements({ ...inputs, privileges: [] }), inputs.database);
  },
};
