import { beforeAll, describe, expect, it } from "vitest";
import { plain, type ProgramRun, type RecordedResource, runProgram, waitedFor } from "./harness.js";
import { stackFileConfig } from "./stackFiles.js";

const STEP = "pulumi-nodejs:dynamic/confradar:MigrationStep";
const CONTAINER = "docker:index/container:Container";
const GRANT = "postgresql:index/grant:Grant";
const DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges";

let run: ProgramRun;
beforeAll(async () => {
  // postgresPort 0: Docker picks the port, so a port anywhere else can only be the container's output.
  run = await runProgram(
    "ci",
    { ...stackFileConfig("ci"), postgresPort: "0" },
    {
      late: [
        "postgres-container",
        "database-server-takeover",
        "database-database",
        "database-kept-database-reclaim",
        GRANT,
        DEFAULT_PRIVILEGES,
        "schema-step",
      ],
    },
  );
});

/** Every grant and default privilege, in the order the program asked for them. */
function grants(): RecordedResource[] {
  return [...run.byType(GRANT), ...run.byType(DEFAULT_PRIVILEGES)].sort((a, b) => a.requestedAt - b.requestedAt);
}

describe("the order of `up`", () => {
  it("runs the migration step after every role and grant, and again when the server container changes", () => {
    const step = run.one(STEP, "schema-step");
    expect(plain(step.inputs.serverInstance)).toBe("postgres-container-id");
    for (const role of run.byType("postgresql:index/role:Role"))
      expect(role.answeredAt, role.name).toBeLessThan(step.requestedAt);
    const databaseGrants = grants().filter((g) => g.name.startsWith("database-"));
    expect(databaseGrants.length).toBeGreaterThan(10);
    for (const grant of databaseGrants) expect(waitedFor(step, grant), grant.name).toBe(true);
  });

  it("starts the app containers only after the migration step and the ledger grants, through dependencies, not inputs", () => {
    const step = run.one(STEP, "schema-step");
    const ledgerGrants = grants().filter((g) => g.name.startsWith("schema-ledger-"));
    expect(ledgerGrants.length).toBeGreaterThan(0);
    for (const role of ["app-api", "app-worker"]) {
      const container = run.one(CONTAINER, role);
      expect(waitedFor(container, step), role).toBe(true);
      for (const grant of ledgerGrants) expect(waitedFor(container, grant), `${role} after ${grant.name}`).toBe(true);
      // Nothing the step reports reaches the containers: they wait for it, they do not read it.
      const inputs = JSON.stringify(plain(container.inputs));
      for (const value of [step.name, plain(step.inputs.migrationsHash)]) expect(inputs, role).not.toContain(value);
      expect(plain(container.inputs.labels)).toEqual(
        expect.arrayContaining([{ label: "com.confradar.role", value: role.slice(4) }]),
      );
    }
  });

  it("creates the roles only after the takeover step, and grants only after the kept database is reclaimed", () => {
    const takeover = run.one("pulumi-nodejs:dynamic/confradar:ServerTakeover", "database-server-takeover");
    expect(plain(takeover.inputs.containerId)).toBe("postgres-container-id");
    const roles = run.byType("postgresql:index/role:Role");
    expect(roles).toHaveLength(3);
    for (const role of roles) expect(waitedFor(role, takeover), role.name).toBe(true);
    const reclaim = run.one("pulumi-nodejs:dynamic/confradar:KeptDatabaseReclaim", "database-kept-database-reclaim");
    expect(waitedFor(reclaim, run.one("postgresql:index/database:Database", "database-database"))).toBe(true);
    expect(waitedFor(grants()[0]!, reclaim)).toBe(true);
  });

  it("grants one at a time: each grant waits for the one before it (XX000 tuple concurrently updated)", () => {
    const all = grants();
    expect(all.length).toBeGreaterThan(10);
    for (const [i, grant] of all.entries()) if (i > 0) expect(waitedFor(grant, all[i - 1]!), grant.name).toBe(true);
  });

  it("uses the database provider only with the port of the healthy container", () => {
    const container = run.one(CONTAINER, "postgres-container");
    const provider = run.one("pulumi:providers:postgresql", "database-provider");
    expect(waitedFor(provider, container)).toBe(true);
    expect(plain(provider.inputs.port)).toBe(String(container.state!.ports[0].external));
  });
});

describe("the ci stack differs from dev where it should", () => {
  it("runs no pgAdmin and removes the volume on destroy", () => {
    expect(run.byType("confradar:tools:PgAdmin")).toHaveLength(0);
    expect(run.one("docker:index/volume:Volume", "-data").retainOnDelete).toBe(false);
    expect(run.outputs.pgadminUrl).toBeUndefined();
  });
});
