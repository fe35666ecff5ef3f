import { beforeAll, describe, expect, it } from "vitest";
import { type ProgramRun, type RecordedResource, runProgram } from "./harness.js";
import { stackFileConfig } from "./stackFiles.js";

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram("ci", stackFileConfig("ci"));
});

/** Names of the resources one input property of a recorded resource waits for. */
function waitsFor(resource: RecordedResource, property: string): string[] {
  return (resource.propertyDependencies[property] ?? []).map((urn) => urn.split("::").pop()!);
}

describe("the order of `up`", () => {
  it("creates the migration step only from outputs of the healthy server and the finished grants", () => {
    const step = run.one("pulumi-nodejs:dynamic/confradar:MigrationStep", "schema-step");
    const deps = waitsFor(step, "serverInstance");
    expect(deps).toContain("postgres-container");
    expect(deps.some((name) => name.startsWith("database-app-default-tables"))).toBe(true);
  });

  it("starts the app containers only after the migration step", () => {
    for (const role of ["app-api", "app-worker"]) {
      const container = run.one("docker:index/container:Container", role);
      const deps = waitsFor(container, "labels");
      expect(deps, role).toContain("schema-step");
    }
  });

  it("uses the database provider only with the port of the healthy container", () => {
    const provider = run.one("pulumi:providers:postgresql", "database-provider");
    const deps = waitsFor(provider, "port");
    expect(deps).toContain("postgres-container");
  });
});

describe("the ci stack differs from dev where it should", () => {
  it("runs no pgAdmin and removes the volume on destroy", () => {
    expect(run.byType("confradar:tools:PgAdmin")).toHaveLength(0);
    expect(run.one("docker:index/volume:Volume", "-data").opts.retainOnDelete).toBe(false);
    expect(run.outputs.pgadminUrl).toBeUndefined();
  });
});
