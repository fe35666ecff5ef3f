import { describe, expect, it } from "vitest";
import { planPendingCreates, type PendingOperation } from "../../scripts/stack/pendingCreates.js";

// After a killed `up`, refresh imports what Docker made and clears the rest, so the next `up`
// neither creates a name twice nor forgets an object.
describe("pending creates after an interrupted up", () => {
  const op = (type: string, name: string | undefined, urnName: string, opType = "creating"): PendingOperation => ({
    type: opType,
    resource: { urn: `urn:pulumi:ci::confradar::${type}::${urnName}`, type, inputs: name === undefined ? {} : { name } },
  });

  it("imports the containers, networks and volumes Docker has under the pending name", () => {
    const ids: Record<string, string> = {
      "container/confradar-ci-api": "6be2e7ef8d42",
      "volume/confradar-ci-pgdata": "confradar-ci-pgdata",
    };
    const plan = planPendingCreates(
      [
        op("docker:index/container:Container", "confradar-ci-api", "app-api"),
        op("docker:index/container:Container", "confradar-ci-worker", "app-worker"),
        op("docker:index/volume:Volume", "confradar-ci-pgdata", "postgres-data"),
        op("random:index/randomPassword:RandomPassword", undefined, "app-password"),
        op("docker:index/container:Container", "confradar-ci-postgres", "postgres", "updating"),
      ],
      (kind, name) => ids[`${kind}/${name}`],
    );
    expect(plan.imports.map((i) => i.id)).toEqual(["6be2e7ef8d42", "confradar-ci-pgdata"]);
    expect(plan.cleared.map((urn) => urn.split("::").pop())).toEqual(["app-worker", "app-password"]);
    expect(plan.flags).toEqual([
      "--import-pending-creates",
      "urn:pulumi:ci::confradar::docker:index/container:Container::app-api",
      "--import-pending-creates",
      "6be2e7ef8d42",
      "--import-pending-creates",
      "urn:pulumi:ci::confradar::docker:index/volume:Volume::postgres-data",
      "--import-pending-creates",
      "confradar-ci-pgdata",
      "--clear-pending-creates",
    ]);
  });

  it("passes no flag when nothing is pending", () => {
    expect(planPendingCreates([], () => "x").flags).toEqual([]);
  });
});
