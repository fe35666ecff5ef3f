// The PgAdmin component's container recipe (infra/components/pgAdmin.ts: start script, environment, servers.json,
// passfile, health check), run with the Docker CLI against the local pgAdmin and PostgreSQL images:
// the preloaded server is there once, stays once after restarts (the duplicate-servers pitfall), and
// libpq inside pgAdmin logs in with the passfile. The Docker provider, which would run the same
// recipe, cannot be built here (docs/offline.md).
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import localImages from "../../images/local-images.json" with { type: "json" };
import {
  PGADMIN_LISTEN_PORT,
  PGADMIN_SEED_DIR,
  pgadminEnv,
  pgadminHealthTest,
  pgadminServersJson,
  pgadminStartScript,
  pgadminStorageDir,
} from "../../infra/components/pgAdmin.js";
import { pgpassLine } from "../../infra/components/connection.js";
import { freeLoopbackPort, removeLabelled, requireDocker, requireImage, sh, startLocalPostgres } from "./pulumiProject.js";

const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = "org.confradar.pgadmin-test-run";
const network = `confradar-pgadmin-${runId}`;
const pgadmin = `confradar-pgadmin-${runId}`;
const email = "admin@confradar.dev";
const role = { user: "confradar_migrator", password: randomBytes(12).toString("hex"), database: "confradar" };
let seedDir = "";
let port = 0;

function must(result: { status: number | null; stdout: string; stderr: string }, what: string): string {
  if (result.status !== 0) throw new Error(`${what} failed: ${result.stderr || result.stdout}`);
  return result.stdout.trim();
}

async function waitForPing(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/misc/ping`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`pgAdmin never answered on 127.0.0.1:${port}: ${sh("docker", ["logs", pgadmin]).stderr}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function serverRows(): string {
  const query =
    "import sqlite3; print(sqlite3.connect('/var/lib/pgadmin/pgadmin4.db').execute('select count(*), max(name), max(host) from server').fetchone())";
  return must(sh("docker", ["exec", pgadmin, "python3", "-c", query]), "reading pgAdmin's server list");
}

describe("pgAdmin preloaded with the stack's server", () => {
  beforeAll(async () => {
    requireDocker();
    requireImage(localImages.pgadmin);
    requireImage(localImages.postgres);
    must(sh("docker", ["network", "create", "--label", `${label}=${runId}`, network]), "docker network create");
    const postgres = await startLocalPostgres({
      image: localImages.postgres,
      name: `confradar-pgadmin-pg-${runId}`,
      label: `${label}=${runId}`,
      runArgs: ["--network", network, "--network-alias", "postgres", "-e", "POSTGRES_PASSWORD=unused-here"],
    });
    const sql = `CREATE ROLE ${role.user} LOGIN PASSWORD '${role.password}'; CREATE DATABASE ${role.database} OWNER ${role.user};`;
    for (const statement of sql.split("; ")) {
      must(
        sh("docker", ["exec", postgres, "psql", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", statement]),
        statement.split(" ")[1]!,
      );
    }

    // What the component uploads before the container starts.
    seedDir = mkdtempSync(path.join(tmpdir(), "confradar-pgadmin-seed-"));
    chmodSync(seedDir, 0o755); // as the Docker provider's uploads leave it: readable by the pgadmin user
    writeFileSync(
      path.join(seedDir, "servers.json"),
      pgadminServersJson({
        name: "ConfRadar (test)",
        host: "postgres",
        port: 5432,
        database: role.database,
        username: role.user,
        passFile: "/pgpass",
      }),
    );
    writeFileSync(path.join(seedDir, "pgpass"), pgpassLine({ host: "postgres", port: 5432, ...role }));

    port = await freeLoopbackPort();
    const env = pgadminEnv(email, randomBytes(12).toString("hex"), PGADMIN_LISTEN_PORT, PGADMIN_SEED_DIR).flatMap((e) => [
      "-e",
      e,
    ]);
    must(
      sh("docker", [
        "create",
        "--name",
        pgadmin,
        "--label",
        `${label}=${runId}`,
        "--network",
        network,
        "-p",
        `127.0.0.1:${port}:${PGADMIN_LISTEN_PORT}`,
        ...env,
        "--entrypoint",
        "/bin/sh",
        localImages.pgadmin,
        "-c",
        pgadminStartScript(email, PGADMIN_SEED_DIR),
      ]),
      "docker create pgadmin",
    );
    must(sh("docker", ["cp", seedDir, `${pgadmin}:${PGADMIN_SEED_DIR}`]), "docker cp seed files");
    must(sh("docker", ["start", pgadmin]), "docker start pgadmin");
    await waitForPing();
  });

  afterAll(() => {
    removeLabelled(label, runId);
    if (seedDir) rmSync(seedDir, { recursive: true, force: true });
  });

  it("serves on 127.0.0.1 and passes the component's health check", () => {
    const test = pgadminHealthTest(PGADMIN_LISTEN_PORT);
    expect(test[0]).toBe("CMD-SHELL");
    expect(sh("docker", ["exec", pgadmin, "sh", "-c", test[1]!]).status).toBe(0);
    const published = must(sh("docker", ["port", pgadmin, `${PGADMIN_LISTEN_PORT}/tcp`]), "docker port");
    expect(published).toBe(`127.0.0.1:${port}`);
  });

  it("has the stack's server once, and still once after two restarts", async () => {
    expect(serverRows()).toBe("(1, 'ConfRadar (test)', 'postgres')");
    for (let i = 0; i < 2; i++) {
      must(sh("docker", ["restart", pgadmin]), "docker restart");
      await waitForPing();
    }
    expect(serverRows()).toBe("(1, 'ConfRadar (test)', 'postgres')");
  });

  it("keeps the password out of servers.json and in a 0600 passfile that libpq accepts", () => {
    const passfile = `${pgadminStorageDir(email)}/pgpass`;
    expect(must(sh("docker", ["exec", pgadmin, "stat", "-c", "%a %U", passfile]), "stat passfile")).toBe("600 pgadmin");
    expect(must(sh("docker", ["exec", pgadmin, "cat", `${PGADMIN_SEED_DIR}/servers.json`]), "cat servers.json")).not.toContain(
      role.password,
    );
    const login =
      `import psycopg; c = psycopg.connect(host='postgres', port=5432, dbname='${role.database}', user='${role.user}', passfile='${passfile}'); ` +
      "print(c.execute('select current_user').fetchone()[0])";
    expect(
      must(sh("docker", ["exec", "-u", "pgadmin", pgadmin, "python3", "-c", login]), "psycopg login with the passfile"),
    ).toBe(role.user);
  });
});
