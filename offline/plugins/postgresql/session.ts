/**
 * The postgresql plugin's connection to the server: one pool per database, created on first use
 * (a preview never connects), and one statement sequence at a time. The engine runs resource
 * operations in parallel; PostgreSQL's catalog updates for GRANT and ALTER DEFAULT PRIVILEGES on the
 * same object then fail with XX000 "tuple concurrently updated" (terraform-provider-postgresql#178),
 * so the plugin runs them one after another.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { containsUnknown, type PlainObject } from "../core/properties.js";

export interface PostgresConfig {
  host: string;
  port: number;
  username: string;
  password?: string;
  database: string;
  sslmode: string;
  /** Path of the PEM CA bundle the server's certificate must chain to (the official `sslrootcert`). */
  sslrootcert?: string;
  /**
   * As the official setting: false on servers without a real superuser (RDS, Cloud SQL). The
   * operations check the connected role's rolsuper themselves, as the official provider does, and
   * grant it membership in an object's owner for the statement when it is not a superuser.
   */
  superuser: boolean;
  connectTimeout: number;
}

export const CONFIG_KEYS = [
  "host",
  "port",
  "username",
  "password",
  "database",
  "sslmode",
  "sslrootcert",
  "superuser",
  "connectTimeout",
] as const;
export const SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;

/** The official provider's defaults (PGHOST-style fallbacks aside). */
export function postgresConfig(config: PlainObject): PostgresConfig {
  return {
    host: String(config.host ?? "localhost"),
    port: Number(config.port ?? 5432),
    username: String(config.username ?? "postgres"),
    ...(config.password !== undefined ? { password: String(config.password) } : {}),
    database: String(config.database ?? "postgres"),
    sslmode: String(config.sslmode ?? "require"),
    ...(config.sslrootcert !== undefined && config.sslrootcert !== "" ? { sslrootcert: String(config.sslrootcert) } : {}),
    superuser: config.superuser === undefined ? true : Boolean(config.superuser),
    connectTimeout: Number(config.connectTimeout ?? 180),
  };
}

export function validatePostgresConfig(config: PlainObject): string[] {
  const problems: string[] = [];
  const port = config.port;
  if (
    port !== undefined &&
    !containsUnknown(port) &&
    (!Number.isInteger(Number(port)) || Number(port) < 1 || Number(port) > 65535)
  )
    problems.push(`postgresql:port must be a TCP port 1-65535 (got ${String(port)})`);
  const sslmode = config.sslmode;
  if (sslmode !== undefined && !containsUnknown(sslmode) && !(SSL_MODES as readonly string[]).includes(String(sslmode)))
    problems.push(`postgresql:sslmode must be one of ${SSL_MODES.join(", ")} (got "${String(sslmode)}")`);
  return problems;
}

/**
 * libpq's (and lib/pq's, which the official plugin uses) meaning of sslmode: require encrypts without
 * checking the certificate, unless a root certificate is given, then it checks as verify-ca;
 * verify-ca checks the chain; verify-full also the host name. No CA file: the system's CAs.
 */
export function sslOption(mode: string, rootCert?: string): pg.ClientConfig["ssl"] {
  if (mode === "disable") return false;
  const ca = rootCert !== undefined ? { ca: readRootCert(rootCert) } : {};
  if (mode === "require" && rootCert === undefined) return { rejectUnauthorized: false };
  if (mode === "verify-full") return { ...ca, rejectUnauthorized: true };
  return { ...ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

function readRootCert(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`postgresql:sslrootcert ${file} cannot be read: ${(error as Error).message}`);
  }
}

export class PostgresSession {
  private readonly pools = new Map<string, pg.Pool>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly config: PostgresConfig,
    private readonly rawConfig: PlainObject,
  ) {}

  private pool(database: string): pg.Pool {
    if (containsUnknown(this.rawConfig))
      throw new Error("the postgresql provider's settings are not known yet (the server is created in this same run)");
    let pool = this.pools.get(database);
    if (!pool) {
      pool = new pg.Pool({
        host: this.config.host,
        port: this.config.port,
        user: this.config.username,
        ...(this.config.password !== undefined ? { password: this.config.password } : {}),
        database,
        ssl: sslOption(this.config.sslmode, this.config.sslrootcert),
        connectionTimeoutMillis: this.config.connectTimeout * 1000,
        max: 1,
        application_name: "confradar-offline-postgresql",
      });
      // An idle connection the server closes (a restart) must not crash the plugin.
      pool.on("error", () => undefined);
      this.pools.set(database, pool);
    }
    return pool;
  }

  /** Runs `body` with a client of `database` (the configured one by default), after every earlier call. */
  async run<T>(body: (client: pg.PoolClient) => Promise<T>, database: string = this.config.database): Promise<T> {
    const next = this.queue.then(async () => {
      const client = await this.pool(database).connect();
      try {
        return await body(client);
      } finally {
        client.release();
      }
    });
    this.queue = next.catch(() => undefined);
    return await next;
  }

  /** Runs the statements in one transaction of `database` (the configured one by default): all or none. */
  async transaction(statements: string[], database: string = this.config.database): Promise<void> {
    await this.run(async (client) => {
      await client.query("BEGIN");
      try {
        for (const statement of statements) await client.query(statement);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }, database);
  }

  /**
   * Runs the statements in one transaction of `database` with the connected role made a member of
   * `roles` for their duration, as the official provider's withRolesGranted: skipped for a
   * superuser; a role that is itself a superuser cannot be granted and is left out; a reverse
   * membership (the role a member of the admin) is lifted for the duration and put back.
   */
  async transactionAs(
    roles: readonly string[] | ((client: pg.PoolClient) => Promise<string[]>),
    statements: string[],
    database: string = this.config.database,
    after: string[] = [],
  ): Promise<void> {
    await this.run(async (client) => {
      await client.query("BEGIN");
      try {
        const owners = typeof roles === "function" ? await roles(client) : roles;
        await withRolesGranted(client, owners, async () => {
          for (const statement of statements) await client.query(statement);
        });
        for (const statement of after) await client.query(statement);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }, database);
  }

  /** True when `database` exists (operations inside a dropped database find nothing to manage). */
  async databaseExists(database: string): Promise<boolean> {
    return await this.run(
      async (client) => (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])).rowCount === 1,
    );
  }
}

export const ident = (name: string): string => pg.escapeIdentifier(name);
export const literal = (value: string): string => pg.escapeLiteral(value);
/** A grantee: PUBLIC is a keyword, every other role a quoted name. */
export const grantee = (role: string): string => (role.toLowerCase() === "public" ? "PUBLIC" : ident(role));

async function isSuperuser(client: pg.PoolClient, role: string): Promise<boolean> {
  const { rows } = await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [role]);
  return Boolean(rows[0]?.rolsuper);
}

/** A direct membership (with SET on 16+, as the official provider checks). */
async function isMemberOf(client: pg.PoolClient, role: string, member: string): Promise<boolean> {
  const setOption = (
    await client.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'pg_auth_members' AND column_name = 'set_option'",
    )
  ).rowCount;
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2${setOption ? " AND set_option" : ""}`,
    [role, member],
  );
  return (rowCount ?? 0) > 0;
}

/** GRANT role TO member unless already a member (or the same role); true when it granted. */
export async function grantMembership(client: pg.PoolClient, role: string, member: string): Promise<boolean> {
  if (role === member || (await isMemberOf(client, role, member))) return false;
  await client.query(`GRANT ${ident(role)} TO ${ident(member)}`);
  return true;
}

/** REVOKE role FROM member if a member; true when it revoked. */
export async function revokeMembership(client: pg.PoolClient, role: string, member: string): Promise<boolean> {
  if (role === member || !(await isMemberOf(client, role, member))) return false;
  await client.query(`REVOKE ${ident(role)} FROM ${ident(member)}`);
  return true;
}

/** The official provider's withRolesGranted, inside the caller's transaction. */
export async function withRolesGranted(
  client: pg.PoolClient,
  roles: readonly string[],
  body: () => Promise<void>,
): Promise<void> {
  const wanted = [...new Set(roles)].filter(Boolean);
  if (wanted.length === 0) return await body();
  const currentUser = String((await client.query("SELECT current_user AS u")).rows[0].u);
  if (await isSuperuser(client, currentUser)) return await body();
  const granted: string[] = [];
  const reversed: string[] = [];
  for (const role of wanted) {
    const exists = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount === 1;
    if (!exists || (await isSuperuser(client, role))) continue;
    if (await revokeMembership(client, currentUser, role)) reversed.push(role);
    if (await grantMembership(client, role, currentUser)) granted.push(role);
  }
  await body();
  for (const role of granted) await revokeMembership(client, role, currentUser);
  for (const role of reversed) {
    const stillThere = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount === 1;
    if (stillThere) await grantMembership(client, currentUser, role);
  }
}
