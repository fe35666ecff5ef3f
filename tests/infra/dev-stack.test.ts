import { beforeAll, describe, expect, it } from "vitest";
import { isSecretInput, plain, type ProgramRun, runProgram } from "./harness.js";
import { stackFileConfig } from "./stackFiles.js";

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram("dev", stackFileConfig("dev"));
});

describe("the dev stack's resource graph", () => {
  it("has the server, its access, the migration step, the app and pgAdmin", () => {
    const count = (type: string) => run.byType(type).length;
    expect(count("confradar:database:PostgresServer")).toBe(1);
    expect(count("confradar:database:DatabaseAccess")).toBe(1);
    expect(count("confradar:database:Migrations")).toBe(1);
    expect(count("confradar:app:AppService")).toBe(1);
    expect(count("confradar:tools:PgAdmin")).toBe(1);
    expect(count("docker:index/network:Network")).toBe(1);
    expect(count("docker:index/volume:Volume")).toBe(1);
    expect(count("docker:index/container:Container")).toBe(4); // postgres, api, worker, pgadmin
    expect(count("postgresql:index/role:Role")).toBe(3);
    expect(count("postgresql:index/database:Database")).toBe(1);
    expect(count("random:index/randomPassword:RandomPassword")).toBe(5); // superuser, 3 roles, pgAdmin
  });

  it("names every Docker object after the stack", async () => {
    for (const type of ["docker:index/container:Container", "docker:index/network:Network", "docker:index/volume:Volume"]) {
      for (const r of run.byType(type)) expect(plain(r.inputs.name)).toMatch(/^confradar-dev-/);
    }
  });

  it("publishes every port on 127.0.0.1 only, at the configured host ports", async () => {
    const published: number[] = [];
    for (const container of run.byType("docker:index/container:Container")) {
      const ports = (plain(container.inputs.ports) ?? []) as { ip?: string; external?: number }[];
      for (const port of ports) {
        expect(port.ip, `${container.name} publishes on ${port.ip}`).toBe("127.0.0.1");
        published.push(port.external ?? 0);
      }
    }
    expect(published.sort()).toEqual([3080, 55050, 55432]);
  });

  it("keeps the data volume on destroy and mounts it at the data directory of the major version", async () => {
    const volume = run.one("docker:index/volume:Volume", "-data");
    expect(volume.retainOnDelete).toBe(true);
    const postgres = run.one("docker:index/container:Container", "postgres-container");
    const mounts = plain(postgres.inputs.mounts) as { target: string; type: string }[];
    expect(mounts).toEqual([expect.objectContaining({ type: "volume", target: "/var/lib/postgresql/data" })]);
  });

  it("waits for health, stops PostgreSQL gently and replaces it without a port clash", async () => {
    const postgres = run.one("docker:index/container:Container", "postgres-container");
    expect(postgres.inputs.wait).toBe(true);
    expect(postgres.inputs.stopSignal).toBe("SIGINT");
    expect(postgres.inputs.stopTimeout).toBeGreaterThanOrEqual(60);
    expect(postgres.deleteBeforeReplace).toBe(true);
    const health = plain(postgres.inputs.healthcheck) as { tests: string[] };
    expect(health.tests.join(" ")).toContain("-h 127.0.0.1");
  });

  it("marks every connection string and password output secret", () => {
    for (const key of [
      "migratorConnectionString",
      "appConnectionString",
      "readonlyConnectionString",
      "superuserConnectionString",
      "pgadminPassword",
    ]) {
      expect(run.secretOutputs.has(key), `${key} is secret`).toBe(true);
    }
    expect(run.secretOutputs.has("appUrl")).toBe(false);
  });

  it("gives the app the app role over the stack network, never the superuser", async () => {
    const api = run.one("docker:index/container:Container", "app-api");
    expect(isSecretInput(api.inputs.envs)).toBe(true);
    const envs = plain<string[]>(api.inputs.envs);
    const url = envs.find((e) => e.startsWith("DATABASE_URL="));
    expect(url).toMatch(/^DATABASE_URL=postgres:\/\/confradar_app:[^@]+@postgres:5432\/confradar/);
    // Loopback (the published port, the health check) is always answered; the network name is added.
    expect(envs).toContain("ALLOWED_HOSTS=confradar-dev-api");
  });

  it("exports the URLs, ports, volume and applied migrations", () => {
    expect(run.outputs.appUrl).toBe("http://127.0.0.1:3080/");
    expect(run.outputs.pgadminUrl).toBe("http://127.0.0.1:55050/");
    expect(run.outputs.postgresPort).toBe(55432);
    expect(run.outputs.volumeName).toBe("confradar-dev-pgdata");
    // What the migration step reports it applied.
    const step = run.one("pulumi-nodejs:dynamic/confradar:MigrationStep", "schema-step");
    expect(run.outputs.appliedMigrations).toEqual(step.state!.applied);
    expect((run.outputs.appliedMigrations as string[]).length).toBeGreaterThan(0);
  });
});
