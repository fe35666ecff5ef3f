/**
 * What the admin role of an existing server (RDS, Cloud SQL, self-hosted) must hold for the stack's
 * role and grant setup, and the check that lists what it lacks before anything is created.
 *
 * Managed servers give no real superuser (rds_superuser and cloudsqlsuperuser are ordinary roles with
 * CREATEROLE and CREATEDB). The postgresql provider then works as the official one does with
 * `superuser: false`: to create the database OWNER the migrator, to grant on what the migrator owns
 * and to set its default privileges, it grants itself membership in the migrator for the statement
 * and revokes it after. Everything below was found by running the stack against a server whose
 * admin lacked one item at a time (tests/e2e/existing-server.test.ts).
 */
import pg from "pg";

/** The lowest server the stack supports: from 15 the public schema belongs to pg_database_owner. */
export const MIN_SERVER_VERSION_NUM = 150000;

/** What the admin needs, one line each, as docs/configuration.md lists it. */
export const ADMIN_REQUIREMENTS = {
  login: "LOGIN with a password, from this machine, over the TLS mode the stack uses",
  adminDatabase: "CONNECT on the admin database (existingServerAdminDatabase, default postgres)",
  createRole: "CREATEROLE (creates the migrator, app and read-only roles and changes their passwords)",
  createDb: "CREATEDB (creates the application database, owned by the migrator)",
  inherit: "INHERIT (the default): it acts on the migrator's objects through a membership it grants itself for the statement",
  version: "a PostgreSQL 15 or newer server (the public schema belongs to the database owner from 15 on)",
} as const;

/** What the check read about the admin role and the server. */
export interface AdminFacts {
  role: string;
  superuser: boolean;
  createRole: boolean;
  createDb: boolean;
  inherit: boolean;
  serverVersionNum: number;
  serverVersion: string;
}

/** The requirements the admin does not meet, each naming what to grant. Empty when all hold. */
export function missingAdminPrivileges(facts: AdminFacts): string[] {
  const missing: string[] = [];
  if (facts.serverVersionNum < MIN_SERVER_VERSION_NUM)
    missing.push(`${ADMIN_REQUIREMENTS.version}; this one is ${facts.serverVersion}`);
  if (facts.superuser) return missing;
  const role = `"${facts.role.replace(/"/g, '""')}"`;
  if (!facts.createRole) missing.push(`${ADMIN_REQUIREMENTS.createRole}: ALTER ROLE ${role} CREATEROLE`);
  if (!facts.createDb) missing.push(`${ADMIN_REQUIREMENTS.createDb}: ALTER ROLE ${role} CREATEDB`);
  if (!facts.inherit) missing.push(`${ADMIN_REQUIREMENTS.inherit}: ALTER ROLE ${role} INHERIT`);
  return missing;
}

/** The error for an admin that lacks something: every missing item at once, and where they are documented. */
export function adminCheckMessage(user: string, where: string, missing: string[]): string {
  return (
    `The admin role ${user} on ${where} cannot set up the stack's database; nothing was created. It lacks:\n` +
    missing.map((m) => `  - ${m}`).join("\n") +
    `\nGrant these (as the server's master user), or set confradar:existingServerAdminUser to a role that has them. ` +
    `docs/configuration.md ("An existing PostgreSQL server") lists what the admin role needs.`
  );
}

/** A connection failure turned into what to check, without the password. */
export function connectionHint(error: { code?: string; message?: string }): string {
  const message = error.message ?? String(error);
  if (error.code === "28P01") return `${message}: check confradar:existingServerAdminPassword`;
  if (error.code === "28000")
    return `${message}: the server's pg_hba.conf (or its security group) refuses this client or this TLS mode`;
  if (error.code === "3D000") return `${message}: check confradar:existingServerAdminDatabase`;
  if (/self[- ]signed|unable to verify|certificate/i.test(message))
    return `${message}: the server's certificate is not signed by the CA in confradar:existingServerSslRootCert (or the host name does not match it with verify-full)`;
  if (/ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|timeout/i.test(message))
    return `${message}: check confradar:existingServerHost and existingServerPort, and that this machine may reach the server`;
  if (/does not support SSL|server does not support/i.test(message))
    return `${message}: the server has TLS off; use existingServerSslMode = disable only on a trusted network`;
  return message;
}

/** Reads the admin's attributes and the server version over `client`. */
export async function readAdminFacts(client: pg.Client): Promise<AdminFacts> {
  const { rows } = await client.query<{
    rolname: string;
    rolsuper: boolean;
    rolcreaterole: boolean;
    rolcreatedb: boolean;
    rolinherit: boolean;
    version_num: string;
    version: string;
  }>(
    `SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolinherit,
            current_setting('server_version_num') AS version_num, current_setting('server_version') AS version
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new Error("pg_roles does not list the current user");
  return {
    role: row.rolname,
    superuser: row.rolsuper,
    createRole: row.rolcreaterole,
    createDb: row.rolcreatedb,
    inherit: row.rolinherit,
    serverVersionNum: Number(row.version_num),
    serverVersion: row.version,
  };
}

/** The stack's database and roles that already exist on the server (left by an earlier stack's destroy). */
export async function existingStackObjects(client: pg.Client, database: string, roles: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ kind: string; name: string }>(
    `SELECT 'database' AS kind, datname AS name FROM pg_database WHERE datname = $1
     UNION ALL SELECT 'role', rolname FROM pg_roles WHERE rolname = ANY($2::text[])`,
    [database, [...roles]],
  );
  return rows.map((r) => `${r.kind} ${r.name}`);
}

/** The message when a new stack finds its database or roles already on the server. */
export function leftoverMessage(where: string, found: string[], database: string, roles: readonly string[]): string {
  return (
    `The server ${where} already has ${found.join(", ")}: an earlier stack's \`destroy\` kept them (retainDatabase), ` +
    `or another stack on this server uses these names. Nothing was created. If the data may go, drop them as the ` +
    `admin role and run \`up\` again: ` +
    `DROP DATABASE IF EXISTS "${database}" WITH (FORCE); ${roles.map((r) => `DROP ROLE IF EXISTS "${r}";`).join(" ")}`
  );
}
