// Every resource and property the program sets is one the offline plugins implement, for each
// stack: a new property in infra/ without its offline implementation fails here, before any `up`
// on a machine without the official plugins would refuse it.
import { beforeAll, describe, expect, it } from "vitest";
import { dockerPlugin } from "../../offline/plugins/docker/plugin.js";
import { postgresqlPlugin } from "../../offline/plugins/postgresql/plugin.js";
import { randomPlugin } from "../../offline/plugins/random/plugin.js";
import { unimplementedProperties } from "../../offline/plugins/core/resource.js";
import { plain, type ProgramRun, runProgram } from "./harness.js";
import { stackFileConfig } from "./stackFiles.js";

const plugins = [dockerPlugin, postgresqlPlugin, randomPlugin] as const;
const handlers = new Map<string, (typeof plugins)[number]["resources"][number]>(
  plugins.flatMap((plugin) => plugin.resources.map((handler) => [handler.token, handler] as const)),
);

const runs: Record<string, ProgramRun> = {};
beforeAll(async () => {
  // The dev stack sets a superset of ci's properties (pgAdmin on), and ci's own settings are
  // checked by the e2e suite's real `up`.
  runs.dev = await runProgram("dev", stackFileConfig("dev"));
});

describe("the offline plugins cover the program", () => {
  it("implement every custom resource type the program registers", () => {
    const types = new Set(
      runs
        .dev!.resources.map((r) => r.type)
        .filter((t) => /^(docker|postgresql|random):/.test(t) && !t.startsWith("pulumi:providers:")),
    );
    expect(types.size).toBeGreaterThanOrEqual(9);
    for (const type of types) expect(handlers.has(type), `${type} has no offline handler`).toBe(true);
  });

  it("implement every property each resource sets, nested settings included", () => {
    let checked = 0;
    for (const resource of runs.dev!.resources) {
      const handler = handlers.get(resource.type);
      if (!handler) continue;
      const inputs = plain(resource.inputs) as Record<string, unknown>;
      expect(unimplementedProperties(handler.rules, inputs), `${resource.type} ${resource.name}`).toEqual([]);
      const withDefaults = handler.withDefaults ? handler.withDefaults(inputs) : inputs;
      expect(handler.validate?.(withDefaults) ?? [], `${resource.type} ${resource.name}`).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
  });

  it("accept every postgresql provider setting the program gives", () => {
    const provider = runs.dev!.resources.find((r) => r.type === "pulumi:providers:postgresql");
    expect(provider).toBeDefined();
    const keys = Object.keys(plain(provider!.inputs) as object).filter((k) => k !== "version");
    for (const key of keys) expect(postgresqlPlugin.configKeys).toContain(key);
  });

  it("would report a property they do not implement", () => {
    const container = handlers.get("docker:index/container:Container")!;
    expect(unimplementedProperties(container.rules, { image: "x", privileged: true })).toEqual(["privileged"]);
  });
});
