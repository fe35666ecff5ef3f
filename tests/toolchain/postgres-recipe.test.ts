// The PostgresServer component's container recipe (infra/components/postgresServer.ts: command, TCP health check, data
// mount path; SIGINT with a long grace) run with the Docker CLI against the local postgres image:
// healthy only when it answers over TCP, the command's settings in force, a clean shutdown on
// SIGINT, rows kept across a restart, and no anonymous volume. The Docker provider, which would run
// the same recipe, cannot be built here (docs/offline.md).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import localImages from "../../images/local-images.json" with { type: "json" };
import { postgresCommand, postgresDataMountPath, postgresHealthTest } from "../../infra/components/postgresServer.js";
import { freeLoopbackPort, removeLabelled, requireDocker, requireImage, sh } from "./pulumiProject.js";

const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = "org.confradar.postgres-recipe-run";
const container = `confradar-recipe-${runId}`;
const volume = `confradar-recipe-${runId}`;
const password = randomBytes(12).toString("hex");
const major = Number(localImages.postgres.split(":").pop()!.match(/^\d+/)![0]);
let port = 0;

const inspect = (format: string) => sh("docker", ["inspect", "--format", format, container]).stdout.trim();

async function until(what: string, seconds: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await ok())) {
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${seconds} s: ${sh("docker", ["logs", container]).stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port,
    user: "postgres",
    password,
    database: "postgres",
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe("the PostgreSQL container recipe", () => {
  beforeAll(async () => {
    requireDocker();
    requireImage(localImages.postgres);
    port = await freeLoopbackPort();
    const [kind, healthCommand] = postgresHealthTest("postgres", "postgres");
    expect(kind).toBe("CMD-SHELL");
    expect(sh("docker", ["volume", "create", "--label", `${label}=${runId}`, volume]).status).toBe(0);
    const started = sh("docker", [
      "run",
      "-d",
      "--name",
      container,
      "--label",
      `${label}=${runId}`,
      "-e",
      `POSTGRES_PASSWORD=${password}`,
      "--mount",
      `type=volume,source=${volume},target=${postgresDataMountPath(major)}`,
      "-p",
      `127.0.0.1:${port}:5432`,
      "--health-cmd",
      healthCommand!,
      "--health-interval",
      "1s",
      "--health-timeout",
      "5s",
      "--health-retries",
      "60",
      "--stop-signal",
      "SIGINT",
      "--stop-timeout",
      "90",
      localImages.postgres,
      ...postgresCommand(),
    ]);
    expect(started.status, started.stderr).toBe(0);
    await until("healthy", 120, () => inspect("{{.State.Health.Status}}") === "healthy");
  });

  afterAll(() => removeLabelled(label, runId));

  it("turns healthy through the TCP check and answers on the published loopback port with the command's settings", async () => {
    const rows = await sql<{ client_connection_check_interval: string }>("SHOW client_connection_check_interval");
    expect(rows[0]?.client_connection_check_interval).toBe("250ms");
    expect(sh("docker", ["port", container, "5432/tcp"]).stdout.trim()).toBe(`127.0.0.1:${port}`);
  });

  it("keeps its data in the named volume only: no anonymous volume", () => {
    const mounts = JSON.parse(inspect("{{json .Mounts}}")) as { Type: string; Name: string; Destination: string }[];
    expect(mounts).toEqual([
      expect.objectContaining({ Type: "volume", Name: volume, Destination: postgresDataMountPath(major) }),
    ]);
  });

  it("shuts down cleanly on SIGINT and keeps its rows across a restart", async () => {
    await sql("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')");
    const stopped = sh("docker", ["stop", container]);
    expect(stopped.status).toBe(0);
    expect(inspect("{{.State.ExitCode}}")).toBe("0");
    expect(sh("docker", ["logs", container]).stderr).toMatch(/database system is shut down/);
    expect(sh("docker", ["start", container]).status).toBe(0);
    await until("healthy again", 120, () => inspect("{{.State.Health.Status}}") === "healthy");
    expect(await sql<{ note: string }>("SELECT note FROM kept")).toEqual([{ note: "still here" }]);
  });
});
