// How a client reaches PostgreSQL: the facts of a connection and the URL made of them.

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
