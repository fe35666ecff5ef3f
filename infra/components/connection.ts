// How a client reaches PostgreSQL: the facts of a connection, the URL made of them, and the typed
// connection a server component hands to DatabaseAccess.
import * as pulumi from "@pulumi/pulumi";

export interface ConnectionFacts {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

/** How a client reaches the server over TLS: libpq's sslmode and, where given, the CA file it trusts. */
export interface UrlTls {
  sslmode: "disable" | "require" | "verify-ca" | "verify-full";
  /** Path of the PEM CA bundle as the client sees it (a path on the host, or inside a container). */
  sslrootcert?: string;
}

/**
 * A libpq-style URL. node-postgres reads sslmode and sslrootcert (it opens the file itself); the
 * Docker server is reached without TLS on loopback and the stack's own network.
 */
export function postgresUrl(c: ConnectionFacts, tls: UrlTls = { sslmode: "disable" }): string {
  const auth = `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}`;
  const query = new URLSearchParams({ sslmode: tls.sslmode });
  if (tls.sslmode !== "disable" && tls.sslrootcert) query.set("sslrootcert", tls.sslrootcert);
  return `postgres://${auth}@${c.host}:${c.port}/${encodeURIComponent(c.database)}?${query.toString()}`;
}

/** Where the app containers find the existing server's CA bundle (uploaded by the stack). */
export const CONTAINER_ROOT_CERT_PATH = "/etc/confradar/postgres-root.crt";

/** A libpq passfile line; ':' and '\' in fields are escaped as libpq requires. */
export function pgpassLine(c: ConnectionFacts): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return `${esc(c.host)}:${c.port}:${esc(c.database)}:${esc(c.user)}:${esc(c.password)}\n`;
}

/** One way to reach the server: an address, a port and the TLS a client uses there. */
export interface Endpoint {
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly tls: UrlTls;
}

/** The login that sets up the stack's database, roles and grants. */
export interface AdminLogin {
  readonly username: string;
  /** Secret. */
  readonly password: pulumi.Output<string>;
  /** The database it connects to for server-wide statements. */
  readonly database: string;
  /**
   * A real superuser (the Docker server) or not (a managed server's admin with CREATEROLE and
   * CREATEDB); the postgresql provider works without superuser rights in the second case.
   */
  readonly superuser: boolean;
}

/**
 * A PostgreSQL server as the stack uses it, whichever component provides it (PostgresServer or
 * ExistingServer): how this machine and the app containers reach it, and who administers it.
 */
export interface ServerConnection {
  /** From this machine: the postgresql provider, the migration step and the URL outputs. */
  readonly external: Endpoint;
  /** From the app containers, on the stack's Docker network. */
  readonly internal: Endpoint;
  readonly admin: AdminLogin;
}

/** A role's URL at an endpoint, as a secret output. */
export function connectionUrl(
  endpoint: Endpoint,
  login: { user: string; password: pulumi.Input<string>; database: pulumi.Input<string> },
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([endpoint.host, endpoint.port, login.password, login.database])
      .apply(([host, port, password, database]) =>
        postgresUrl({ user: login.user, password, host, port, database }, endpoint.tls),
      ),
  );
}
