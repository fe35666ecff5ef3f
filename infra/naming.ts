/**
 * Pure helpers shared by the components: names, labels, paths, health checks and URLs.
 * No Pulumi resources here, so tests/unit/ checks them without mocks.
 */

export const PROJECT = "confradar";

/** Docker object names carry the stack, so `dev` and `ci` can share one Docker host. */
export function dockerName(stack: string, role: string): string {
  return `${PROJECT}-${stack}-${role}`;
}

/** Labels on every Docker object we create: how tests and `db:*` scripts find a stack's things. */
export function stackLabels(stack: string, role: string): Record<string, string> {
  return { "com.confradar.project": PROJECT, "com.confradar.stack": stack, "com.confradar.role": role };
}

export function toDockerLabels(labels: Record<string, string>): { label: string; value: string }[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/**
 * Where the official image keeps its data: up to 17 the data directory itself; from 18 the parent,
 * with data under MAJOR/docker (docker-library/postgres#1259). Mounting at the wrong path leaves the
 * data in an anonymous volume that is lost on replacement.
 */
export function postgresDataMountPath(major: number): string {
  return major >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

export interface HealthTimings {
  /** Between probes once the container has been healthy. */
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
  /**
   * Between probes while the container starts (until healthy or the start period ends), so `up`
   * sees it healthy early while a running container is probed rarely. Undefined where the engine
   * cannot (API below 1.44, infra/dockerEngine.ts): the interval is then at most 2 s, so `up`
   * does not wait a long interval for the first probe.
   */
  startIntervalSeconds?: number;
}

export interface DockerHealthcheck {
  tests: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
  startInterval: string;
}

/**
 * Whole seconds as Go's time.Duration prints them ("1m0s", "1h0m0s", "10s"): the docker provider
 * reads a health check back in that form, so "60s" would be drift on every `up`.
 */
export function dockerDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** Where the engine has no start interval, probes come at least this often. */
export const INTERVAL_WITHOUT_START_INTERVAL_SECONDS = 2;

export function healthcheck(tests: string[], t: HealthTimings): DockerHealthcheck {
  const interval =
    t.startIntervalSeconds === undefined
      ? Math.min(t.intervalSeconds, INTERVAL_WITHOUT_START_INTERVAL_SECONDS)
      : t.intervalSeconds;
  return {
    tests,
    interval: dockerDuration(interval),
    timeout: dockerDuration(t.timeoutSeconds),
    retries: t.retries,
    startPeriod: dockerDuration(t.startPeriodSeconds),
    // "0s" where the engine has none: what the provider reads back.
    startInterval: dockerDuration(t.startIntervalSeconds ?? 0),
  };
}

/**
 * Ready means accepting TCP connections: during first init the image runs a temporary server on
 * the unix socket only, and a socket check would call that ready.
 */
export function postgresHealthTest(user: string, database: string): string[] {
  return ["CMD-SHELL", `pg_isready -h 127.0.0.1 -p 5432 -U ${user} -d ${database} -q`];
}

/**
 * The server's command line. client_connection_check_interval (PostgreSQL 14+) ends sessions whose
 * client died, so a killed migrator does not keep the advisory lock until its statement ends.
 */
export function postgresCommand(): string[] {
  return ["postgres", "-c", "client_connection_check_interval=250ms"];
}

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

/** pgAdmin's servers.json: one server, password through a passfile (pgadmin4#8663). */
export function pgadminServersJson(server: {
  name: string;
  host: string;
  port: number;
  database: string;
  username: string;
  passFile: string;
}): string {
  return JSON.stringify(
    {
      Servers: {
        "1": {
          Name: server.name,
          Group: "ConfRadar",
          Host: server.host,
          Port: server.port,
          MaintenanceDB: server.database,
          Username: server.username,
          PassFile: server.passFile,
          SSLMode: "disable",
        },
      },
    },
    null,
    2,
  );
}

/** pgAdmin (server mode) keeps a user's files in a folder named after the e-mail, '@' as '_'. */
export function pgadminStorageDir(email: string): string {
  return `/var/lib/pgadmin/storage/${email.replace("@", "_")}`;
}

/**
 * The pgAdmin container's start command: puts the passfile into the user's storage folder with
 * mode 0600 (libpq ignores a group- or world-readable one; in server mode pgAdmin resolves PassFile
 * there), then runs the image's own entrypoint. The official image starts as the pgadmin user; an
 * image that starts as root gets the files handed to that user.
 */
export function pgadminStartScript(email: string, seedDir: string): string {
  const dir = pgadminStorageDir(email);
  return [
    "set -e",
    `mkdir -p '${dir}'`,
    `cp '${seedDir}/pgpass' '${dir}/pgpass'`,
    `chmod 600 '${dir}/pgpass'`,
    `if [ "$(id -u)" = 0 ]; then chown -R pgadmin:pgadmin /var/lib/pgadmin; fi`,
    "exec /entrypoint.sh",
  ].join("\n");
}

/**
 * pgAdmin's environment: the generated login, the port, and the seeded server list re-imported on
 * every start, which replaces rather than duplicates it (pgadmin4#5452, #7811).
 */
export function pgadminEnv(email: string, password: string, port: number, seedDir: string): string[] {
  return [
    `PGADMIN_DEFAULT_EMAIL=${email}`,
    `PGADMIN_DEFAULT_PASSWORD=${password}`,
    `PGADMIN_LISTEN_PORT=${port}`,
    `PGADMIN_SERVER_JSON_FILE=${seedDir}/servers.json`,
    "PGADMIN_REPLACE_SERVERS_ON_STARTUP=True",
    "PGADMIN_CONFIG_UPGRADE_CHECK_ENABLED=False",
  ];
}

/** pgAdmin's liveness URL, checked with whichever of wget (official, Alpine) or python3 the image has. */
export function pgadminHealthTest(port: number): string[] {
  const url = `http://127.0.0.1:${port}/misc/ping`;
  return ["CMD-SHELL", `wget -q -O /dev/null ${url} || python3 -c "import urllib.request;urllib.request.urlopen('${url}')"`];
}

/** A libpq passfile line; ':' and '\' in fields are escaped as libpq requires. */
export function pgpassLine(c: ConnectionFacts): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return `${esc(c.host)}:${c.port}:${esc(c.database)}:${esc(c.user)}:${esc(c.password)}\n`;
}
