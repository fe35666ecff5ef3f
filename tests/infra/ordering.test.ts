import { beforeAll, describe, expect, it } from "vitest";
import { plain, type ProgramRun, type RecordedResource, runProgram } from "./harness.js";
import { stackFileConfig } from "./stackFiles.js";

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram("ci", stackFileConfig("ci"));
});

/** Names of the resources one input property of a recorded resource waits for. */
function waitsFor(resource: RecordedResource, property: string): string[] {
  return (resource.propertyDependencies[property] ?? []).map((urn) => urn.split("::").pop()!);
}

/** Names of every resource a recorded resource waits for. */
function waitsForAll(resource: RecordedResource): string[] {
  return resource.dependencies.map((urn) => urn.split("::").pop()!);
}

describe("the order of `up`", () => {
  it("runs the migration step after every role and grant, and again when the server container changes", () => {
    const step = run.one("pulumi-nodejs:dynamic/confradar:MigrationStep", "schema-step");
    expect(waitsFor(step, "serverInstance")).toContain("postgres-container");
    const deps = waitsForAll(step);
    for (const grant of [
      ...run.byType("postgresql:index/grant:Grant"),
      ...run.byType("postgresql:index/defaultPrivileges:DefaultPrivileges"),
    ])
      if (grant.name.startsWith("database-")) expect(deps, grant.name).toContain(grant.name);
  });

  it("starts the app containers only after the migration step and the ledger grants, through dependencies, not inputs", () => {
    for (const role of ["app-api", "app-worker"]) {
      const container = run.one("docker:index/container:Container", role);
      const deps = waitsForAll(container);
      expect(deps, role).toContain("schema-step");
      expect(
        deps.some((name) => name.startsWith("schema-ledger-")),
        role,
      ).toBe(true);
      expect(plain(container.inputs.labels)).toEqual(
        expect.arrayContaining([{ label: "com.confradar.role", value: role.slice(4) }]),
      );
    }
  });

  it("creates the roles only after the takeover step, and grants only after the kept database is reclaimed", () => {
    for (const role of run.byType("postgresql:index/role:Role")) expect(waitsForAll(role)).toContain("database-server-takeover");
    const reclaim = run.one("pulumi-nodejs:dynamic/confradar:KeptDatabaseReclaim", "database-kept-database-reclaim");
    expect(waitsForAll(reclaim)).toContain("database-database");
    const takeover = run.one("pulumi-nodejs:dynamic/confradar:ServerTakeover", "database-server-takeover");
    expect(waitsFor(takeover, "containerId")).toContain("postgres-container");
  });

  it("grants one at a time: each grant waits for the one before it (XX000 tuple concurrently updated)", () => {
    const grants = [
      ...run.byType("postgresql:index/grant:Grant"),
      ...run.byType("postgresql:index/defaultPrivileges:DefaultPrivileges"),
    ];
    expect(grants.length).toBeGreaterThan(10);
    // Two chains: the database grants after the reclaim step, the ledger grants after the migration step.
    const waitingOnGrant = grants.filter((g) => waitsForAll(g).some((d) => grants.some((o) => o.name === d)));
    expect(waitingOnGrant).toHaveLength(grants.length - 2);
  });

  it("uses the database provider only with the port of the healthy container", () => {
    const provider = run.one("pulumi:providers:postgresql", "database-provider");
    expect(waitsFor(provider, "port")).toContain("postgres-container");
  });
});

describe("the ci stack differs from dev where it should", () => {
  it("runs no pgAdmin and removes the volume on destroy", () => {
    expect(run.byType("confradar:tools:PgAdmin")).toHaveLength(0);
    expect(run.one("docker:index/volume:Volume", "-data").opts.retainOnDelete).toBe(false);
    expect(run.outputs.pgadminUrl).toBeUndefined();
  });
});
