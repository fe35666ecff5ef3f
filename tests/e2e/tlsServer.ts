/**
 * A PostgreSQL server the e2e suite starts for itself, outside Docker, shaped like a managed one:
 * Debian's PostgreSQL (as scripts/ci/start-postgres, installed there if missing), its own cluster in
 * a temporary folder, TLS on with a CA and server certificate made here with openssl, pg_hba
 * `hostssl` only (a plain connection is refused), and an admin role that is NOT a superuser.
 * The bootstrap superuser is reachable only through the cluster's private unix socket (peer auth),
 * which the suite uses for what a cloud console would do (creating the admin, inspecting).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

function run(cmd: string, args: string[], input?: string): string {
  const result = spawnSync(cmd, args, { encoding: "utf8", ...(input !== undefined ? { input } : {}) });
  if (result.error || result.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr.trim()}`);
  return result.stdout;
}

/** The folder of Debian's PostgreSQL programs, installing the package as scripts/ci/start-postgres does. */
export function postgresBinDir(): string {
  const find = () =>
    readdirSync("/usr/lib/postgresql", { withFileTypes: true })
      .map((d) => path.join("/usr/lib/postgresql", d.name, "bin"))
      .find((dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "pg_ctl")));
  const found = existsSync("/usr/lib/postgresql") ? find() : undefined;
  if (found) return found;
  // Installs the package (and prints the integration tests' URL, which we ignore), then stops that cluster.
  const dir = mkdtempSync(path.join(os.tmpdir(), "confradar-pg-install-"));
  run("bash", ["scripts/ci/start-postgres"], undefined);
  spawnSync("bash", ["scripts/ci/stop-postgres"], { env: { ...process.env, CI_PG_DIR: dir } });
  const after = find();
  if (!after) throw new Error("Debian's postgresql is not installed and could not be installed: apt-get install postgresql");
  return after;
}

export interface TlsServer {
  readonly port: number;
  readonly dir: string;
  /** The CA certificate clients trust (sslrootcert). */
  readonly caFile: string;
  readonly version: string;
  /** SQL as the bootstrap superuser over the private unix socket; returns psql's unaligned rows. */
  superuserSql(sql: string, database?: string): string;
  /** Listens on 127.0.0.1 and `extraAddress` (the gateway of the project's own Docker network), accepting `subnet` over TLS. */
  listenAlsoOn(extraAddress: string, subnet: string): void;
  stop(): void;
}

/** Starts the cluster on 127.0.0.1:port. Root runs the server as the postgres OS user, as Debian does. */
export function startTlsServer(port: number): TlsServer {
  const bin = postgresBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), "confradar-existing-pg-"));
  const data = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const pgUser = asRoot ? Number(run("id", ["-u", "postgres"]).trim()) : undefined;
  const pgGroup = asRoot ? Number(run("id", ["-g", "postgres"]).trim()) : undefined;
  const asPg = (cmd: string, args: string[], input?: string) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", cmd, ...args], input) : run(cmd, args, input);
  if (asRoot) chownSync(dir, pgUser!, pgGroup!);
  chmodSync(dir, 0o700);

  const caFile = path.join(dir, "ca.crt");
  const caKey = path.join(dir, "ca.key");
  const makeServerCert = (addresses: string[]) => {
    const csr = path.join(dir, "server.csr");
    const ext = path.join(dir, "server.ext");
    writeFileSync(
      ext,
      `subjectAltName=${addresses.map((a) => `IP:${a}`).join(",")}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
    );
    run(
      "openssl",
      ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"].concat([
        "-keyout",
        path.join(dir, "server.key"),
        "-out",
        csr,
        "-subj",
        "/CN=confradar-existing-server",
      ]),
    );
    run("openssl", [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      caFile,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      path.join(dir, "server.crt"),
      "-extfile",
      ext,
    ]);
    chmodSync(path.join(dir, "server.key"), 0o600);
    if (asRoot) for (const f of ["server.key", "server.crt"]) chownSync(path.join(dir, f), pgUser!, pgGroup!);
  };
  run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    caKey,
    "-out",
    caFile,
    "-subj",
    "/CN=ConfRadar e2e test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  chmodSync(caFile, 0o644);
  makeServerCert(["127.0.0.1"]);

  asPg(path.join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth-local=peer",
    "--auth-host=reject",
    "--encoding=UTF8",
    "--locale=C.UTF-8",
  ]);
  const hba = (subnets: string[]) =>
    writeFileSync(
      path.join(data, "pg_hba.conf"),
      // TLS only from the network; no superuser over the network at all.
      [
        "local all postgres peer",
        "hostssl all postgres 0.0.0.0/0 reject",
        ...["127.0.0.1/32", ...subnets].map((s) => `hostssl all all ${s} scram-sha-256`),
        "",
      ].join("\n"),
    );
  hba([]);
  const conf = (addresses: string[]) =>
    writeFileSync(
      path.join(data, "postgresql.auto.conf"),
      [
        `listen_addresses = '${addresses.join(",")}'`,
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        "ssl = on",
        `ssl_cert_file = '${path.join(dir, "server.crt")}'`,
        `ssl_key_file = '${path.join(dir, "server.key")}'`,
        "password_encryption = 'scram-sha-256'",
        "max_connections = 100",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "",
      ].join("\n"),
    );
  conf(["127.0.0.1"]);
  if (asRoot) for (const f of ["pg_hba.conf", "postgresql.auto.conf"]) chownSync(path.join(data, f), pgUser!, pgGroup!);
  const log = path.join(dir, "server.log");
  const start = () => asPg(path.join(bin, "pg_ctl"), ["start", "-D", data, "-l", log, "-w", "-t", "60"]);
  const stop = () => {
    if (existsSync(path.join(data, "postmaster.pid")))
      asPg(path.join(bin, "pg_ctl"), ["stop", "-D", data, "-m", "fast", "-w", "-t", "60"]);
  };
  start();
  const superuserSql = (sql: string, database = "postgres") =>
    asPg(
      path.join(bin, "psql"),
      ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", "postgres", "-d", database, "-f", "-"],
      sql,
    ).trim();
  const version = superuserSql("SHOW server_version");

  return {
    port,
    dir,
    caFile,
    version,
    superuserSql,
    listenAlsoOn(extraAddress, subnet) {
      stop();
      makeServerCert(["127.0.0.1", extraAddress]);
      hba([subnet]);
      conf(["127.0.0.1", extraAddress]);
      if (asRoot) for (const f of ["pg_hba.conf", "postgresql.auto.conf"]) chownSync(path.join(data, f), pgUser!, pgGroup!);
      start();
    },
    stop() {
      try {
        stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
