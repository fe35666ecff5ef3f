/**
 * The postgresql plugin's connection to the server: one pool per database, created on first use
 * (a preview never connects), and one statement sequence at a time. The engine runs resource
 * operations in parallel; PostgreSQL's catalog updates for GRANT and ALTER DEFAULT PRIVILEGES on the
 * same object then fail with XX000 "tuple concurrently updated" (terraform-provider-postgresql#178),
 * so the plugin runs them one after another.
 */
import pg from "pg";
import { containsUnknown, type PlainObject } from "../core/properties.js";

export interface PostgresConfig {
  host: string;
  port: number;
  username: string;
  password?: string;
  database: string;
  sslmode: string;
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

function sslOption(mode: string): pg.ClientConfig["ssl"] {
  if (mode === "disable") return false;
  if (mode === "require") return { rejectUnauthorized: false };
  return { rejectUnauthorized: true };
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
        ssl: sslOption(this.config.sslmode),
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
