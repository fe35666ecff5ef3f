import { describe, expect, it } from "vitest";
import {
  planPendingCreates,
  resourcesReadThroughServer,
  strayObjects,
  type PendingOperation,
} from "../../scripts/stack/pendingCreates.js";

// After a killed `up`, refresh keeps what holds data, clears the rest of the pending creates, and
// removes the containers and networks no state lists, so the next `up` never creates a name twice.
describe("putting right an interrupted up", () => {
  const op = (type: string, name: string | undefined, urnName: string, opType = "creating"): PendingOperation => ({
    type: opType,
    resource: { urn: `urn:pulumi:ci::confradar::${type}::${urnName}`, type, inputs: name === undefined ? {} : { name } },
  });

  it("imports a pending volume Docker has, and clears every other pending create", () => {
    const volumes = new Set(["confradar-ci-pgdata"]);
    const plan = planPendingCreates(
      [
        op("docker:index/container:Container", "confradar-ci-api", "app-api"),
        op("docker:index/volume:Volume", "confradar-ci-pgdata", "postgres-data"),
        op("docker:index/volume:Volume", "confradar-ci-other", "other-data"),
        op("random:index/randomPassword:RandomPassword", undefined, "app-password"),
        op("docker:index/container:Container", "confradar-ci-postgres", "postgres", "updating"),
      ],
      (name) => volumes.has(name),
    );
    expect(plan.imports).toEqual([
      { urn: "urn:pulumi:ci::confradar::docker:index/volume:Volume::postgres-data", id: "confradar-ci-pgdata" },
    ]);
    expect(plan.cleared.map((urn) => urn.split("::").pop())).toEqual(["app-api", "other-data", "app-password"]);
    expect(plan.flags).toEqual([
      "--import-pending-creates",
      "urn:pulumi:ci::confradar::docker:index/volume:Volume::postgres-data",
      "--import-pending-creates",
      "confradar-ci-pgdata",
      "--clear-pending-creates",
    ]);
  });

  it("passes no flag when nothing is pending", () => {
    expect(planPendingCreates([], () => true).flags).toEqual([]);
  });

  it("names the stack's objects that no resource in the state has as its id", () => {
    const docker = [
      { id: "aaa", name: "confradar-ci-api" },
      { id: "bbb", name: "confradar-ci-postgres" },
    ];
    expect(strayObjects(docker, new Set(["aaa", "ccc"]))).toEqual([{ id: "bbb", name: "confradar-ci-postgres" }]);
  });

  it("leaves out of a refresh with the server down only what the postgresql provider reads through it", () => {
    const resource = (type: string, name: string) => ({ urn: `urn:pulumi:ci::confradar::${type}::${name}`, type });
    const resources = [
      resource("docker:index/container:Container", "postgres-container"),
      resource("pulumi:providers:postgresql", "server-admin"),
      resource("postgresql:index/role:Role", "app-role"),
      resource("postgresql:index/grant:Grant", "app-tables"),
      resource("postgresql:index/database:Database", "database"),
      resource("pulumi-nodejs:dynamic:Resource", "migrations"),
    ];
    expect(resourcesReadThroughServer(resources).map((urn) => urn.split("::").pop())).toEqual([
      "app-role",
      "app-tables",
      "database",
    ]);
  });
});
