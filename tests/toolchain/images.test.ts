// The locally built images keep the official images' contracts (scripts/images/build makes them).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import localImages from "../../images/local-images.json" with { type: "json" };

const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = `org.confradar.images-test=${runId}`;
const tempDirs: string[] = [];

function docker(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync("docker", args, { encoding: "utf8" });
  return { status: r.error ? null : r.status, out: `${r.stdout ?? ""}${r.stderr ?? r.error?.message ?? ""}` };
}

function requireImage(tag: string): void {
  if (docker("info").status !== 0) throw new Error("No Docker engine answers: run `bash scripts/docker/ensure-engine`");
  if (docker("image", "inspect", tag).status !== 0)
    throw new Error(`The local image ${tag} is missing: run \`bash scripts/images/build\``);
}

function hostPort(container: string, port: number): number {
  const out = docker("port", container, String(port)).out.trim().split("\n")[0] ?? "";
  return Number(out.split(":").pop());
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not happen within ${seconds} s (${String(last)})`);
}

afterAll(() => {
  const ids = docker("ps", "-aq", "--filter", `label=${label}`).out.split("\n").filter(Boolean);
  if (ids.length > 0) docker("rm", "-f", "-v", ...ids);
  const volumes = docker("volume", "ls", "-q", "--filter", `label=${label}`).out.split("\n").filter(Boolean);
  if (volumes.length > 0) docker("volume", "rm", "-f", ...volumes);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe(`local postgres image (${localImages.postgres})`, () => {
  it("refuses to initialize without POSTGRES_PASSWORD, like the official image", () => {
    requireImage(localImages.postgres);
    const r = docker("run", "--rm", "--label", label, localImages.postgres);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain("You must specify POSTGRES_PASSWORD to a non-empty value for the");
  });

  it("initializes once: POSTGRES_USER/DB, init scripts, TCP with scram; stops on SIGINT; refuses another major's data", async () => {
    requireImage(localImages.postgres);
    expect(docker("image", "inspect", "--format", "{{.Config.StopSignal}}", localImages.postgres).out.trim()).toBe("SIGINT");
    const initDir = mkdtempSync(path.join(tmpdir(), "confradar-initdb-"));
    tempDirs.push(initDir);
    chmodSync(initDir, 0o755);
    writeFileSync(path.join(initDir, "01-table.sql"), "CREATE TABLE from_sql (n int); INSERT INTO from_sql VALUES (7);\n");
    writeFileSync(path.join(initDir, "02-table.sh"), '#!/bin/bash\npsql -v ON_ERROR_STOP=1 -c "CREATE TABLE from_sh (n int)"\n', {
      mode: 0o755,
    });
    const volume = `confradar-images-test-${runId}`;
    expect(docker("volume", "create", "--label", label, volume).status).toBe(0);
    const name = `confradar-images-test-pg-${runId}`;
    const run = docker(
      "run",
      "-d",
      "--name",
      name,
      "--label",
      label,
      "-e",
      "POSTGRES_PASSWORD=first-pass",
      "-e",
      "POSTGRES_USER=owner",
      "-e",
      "POSTGRES_DB=appdb",
      "-v",
      `${initDir}:/docker-entrypoint-initdb.d:ro`,
      "-v",
      `${volume}:/var/lib/postgresql/data`,
      "-p",
      "127.0.0.1::5432",
      localImages.postgres,
      "-c",
      "client_connection_check_interval=250ms",
    );
    expect(run.status, run.out).toBe(0);
    const port = hostPort(name, 5432);
    const connect = (password: string) =>
      new pg.Client({ host: "127.0.0.1", port, user: "owner", password, database: "appdb", connectionTimeoutMillis: 3000 });

    const rows = await until("a TCP login as POSTGRES_USER", 60, async () => {
      const client = connect("first-pass");
      await client.connect();
      try {
        const r = await client.query(
          "select (select n from from_sql) as n, to_regclass('from_sh') is not null as sh, current_setting('client_connection_check_interval') as interval",
        );
        return r.rows;
      } finally {
        await client.end();
      }
    });
    expect(rows).toEqual([{ n: 7, sh: true, interval: "250ms" }]);
    await expect(connect("wrong").connect()).rejects.toThrow(/password authentication failed/);

    expect(docker("stop", "-t", "60", name).status).toBe(0);
    expect(docker("logs", name).out).toContain("database system is shut down");
    // A restart keeps the data and does not initialize again.
    expect(docker("start", name).status).toBe(0);
    await until("the restarted server", 60, async () =>
      docker("logs", name).out.includes("skipping initialization") ? true : undefined,
    );
    docker("rm", "-f", "-v", name);

    docker(
      "run",
      "--rm",
      "--entrypoint",
      "bash",
      "-v",
      `${volume}:/var/lib/postgresql/data`,
      localImages.postgres,
      "-c",
      "echo 16 > /var/lib/postgresql/data/PG_VERSION",
    );
    const wrongMajor = docker(
      "run",
      "--rm",
      "--label",
      label,
      "-e",
      "POSTGRES_PASSWORD=x",
      "-v",
      `${volume}:/var/lib/postgresql/data`,
      localImages.postgres,
    );
    expect(wrongMajor.status).not.toBe(0);
    expect(wrongMajor.out).toContain("holds PostgreSQL 16 files but this image runs PostgreSQL 15");
  });
});

describe(`local pgAdmin image (${localImages.pgadmin})`, () => {
  it("requires PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD", () => {
    requireImage(localImages.pgadmin);
    const r = docker("run", "--rm", "--label", label, localImages.pgadmin);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain("PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD");
  });

  it("serves its login page on a 127.0.0.1-published port with servers.json loaded once", async () => {
    requireImage(localImages.pgadmin);
    const dir = mkdtempSync(path.join(tmpdir(), "confradar-pgadmin-"));
    tempDirs.push(dir);
    chmodSync(dir, 0o755);
    writeFileSync(
      path.join(dir, "servers.json"),
      JSON.stringify({
        Servers: {
          "1": {
            Name: "confradar",
            Group: "Servers",
            Host: "db",
            Port: 5432,
            MaintenanceDB: "postgres",
            Username: "postgres",
            SSLMode: "prefer",
            PassFile: "/pgpass",
          },
        },
      }),
      { mode: 0o644 },
    );
    const name = `confradar-images-test-pgadmin-${runId}`;
    const run = docker(
      "run",
      "-d",
      "--name",
      name,
      "--label",
      label,
      "-e",
      "PGADMIN_DEFAULT_EMAIL=admin@example.com",
      "-e",
      "PGADMIN_DEFAULT_PASSWORD=not-a-real-secret",
      "-v",
      `${dir}/servers.json:/pgadmin4/servers.json:ro`,
      "-p",
      "127.0.0.1::80",
      localImages.pgadmin,
    );
    expect(run.status, run.out).toBe(0);
    const port = hostPort(name, 80);
    const page = await until("the pgAdmin login page", 120, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/login`);
      return res.status === 200 ? await res.text() : undefined;
    });
    expect(page).toContain("<title>pgAdmin 4");
    const countServers = `import sqlite3; print(sqlite3.connect('/var/lib/pgadmin/pgadmin4.db').execute("select count(*) from server where connection_params like '%/pgpass%'").fetchone()[0])`;
    expect(docker("exec", name, "/venv/bin/python3", "-c", countServers).out.trim()).toBe("1");
    expect(docker("restart", name).status).toBe(0);
    // An ephemeral published port changes on restart.
    const portAfterRestart = hostPort(name, 80);
    await until("pgAdmin after a restart", 120, async () =>
      (await fetch(`http://127.0.0.1:${portAfterRestart}/login`)).status === 200 ? true : undefined,
    );
    expect(docker("exec", name, "/venv/bin/python3", "-c", countServers).out.trim()).toBe("1");
  });
});

describe(`local Node image (${localImages.node})`, () => {
  it("has node and npm in /usr/local/bin, a node user with uid 1000, and reaches the npm registry", () => {
    requireImage(localImages.node);
    const r = docker(
      "run",
      "--rm",
      "--label",
      label,
      "--user",
      "node",
      localImages.node,
      "sh",
      "-c",
      "id -u; node --version; npm --version; command -v node; command -v npm; command -v npx; cd /tmp && npm view --silent is-number@7.0.0 version",
    );
    expect(r.status, r.out).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(["1000", `v${localImages.versions.node}`, localImages.versions.npm]);
    expect(lines.slice(3, 6)).toEqual(["/usr/local/bin/node", "/usr/local/bin/npm", "/usr/local/bin/npx"]);
    expect(lines.at(-1)).toBe("7.0.0");
  });
});
