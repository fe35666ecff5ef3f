import { describe, expect, it } from "vitest";
import {
  DiffKind,
  diffInputs,
  implementedInputs,
  unimplementedProperties,
  type PropertyRules,
} from "../../offline/plugins/core/resource.js";
import { UNKNOWN } from "../../offline/plugins/core/properties.js";

const rules = { name: "replace", image: "replace", restart: "update", ports: "replace", envs: "update" } as PropertyRules<object>;

describe("offline plugins: diffInputs", () => {
  it("reports nothing when the implemented inputs are equal", () => {
    const olds = { name: "c", image: "img", restart: "no", ports: [{ internal: 80, ip: "0.0.0.0" }], other: 1 };
    const news = { image: "img", name: "c", restart: "no", ports: [{ ip: "0.0.0.0", internal: 80 }], other: 2 };
    expect(diffInputs(rules, olds, news)).toEqual({ changed: [], replaces: [], detailed: {} });
  });

  it("ignores changes in properties outside the rules", () => {
    expect(diffInputs(rules, { name: "c", notImplemented: 1 }, { name: "c", notImplemented: 2 }).changed).toEqual([]);
  });

  it("tells update changes from replace changes, in rule order", () => {
    const diff = diffInputs(rules, { name: "a", image: "i1", restart: "no" }, { name: "b", image: "i1", restart: "always" });
    expect(diff.changed).toEqual(["name", "restart"]);
    expect(diff.replaces).toEqual(["name"]);
    expect(diff.detailed).toEqual({ name: DiffKind.UPDATE_REPLACE, restart: DiffKind.UPDATE });
  });

  it("uses ADD / ADD_REPLACE for a property that appears", () => {
    const diff = diffInputs(rules, { name: "a" }, { name: "a", image: "i", restart: "always" });
    expect(diff.changed).toEqual(["image", "restart"]);
    expect(diff.replaces).toEqual(["image"]);
    expect(diff.detailed).toEqual({ image: DiffKind.ADD_REPLACE, restart: DiffKind.ADD });
  });

  it("uses DELETE / DELETE_REPLACE for a property that goes away (null counts as absent)", () => {
    const diff = diffInputs(rules, { name: "a", restart: "always", image: "i" }, { name: "a", restart: null });
    expect(diff.changed).toEqual(["image", "restart"]);
    expect(diff.replaces).toEqual(["image"]);
    expect(diff.detailed).toEqual({ image: DiffKind.DELETE_REPLACE, restart: DiffKind.DELETE });
  });

  it("counts a value not known yet as a change, even when the old value looks the same", () => {
    const diff = diffInputs(rules, { name: UNKNOWN, restart: "no" }, { name: UNKNOWN, restart: "no" });
    expect(diff.changed).toEqual(["name"]);
    expect(diff.replaces).toEqual(["name"]);
    expect(diff.detailed).toEqual({ name: DiffKind.UPDATE_REPLACE });
  });

  it("counts an unknown nested in a list as a change", () => {
    const diff = diffInputs(rules, { envs: ["A=1"] }, { envs: ["A=1", UNKNOWN] });
    expect(diff.changed).toEqual(["envs"]);
    expect(diff.replaces).toEqual([]);
    expect(diff.detailed).toEqual({ envs: DiffKind.UPDATE });
  });

  it("treats an empty list and an absent one as equal, both ways", () => {
    expect(diffInputs(rules, { name: "a", ports: [] }, { name: "a" }).changed).toEqual([]);
    expect(diffInputs(rules, { name: "a" }, { name: "a", ports: [] }).changed).toEqual([]);
    expect(diffInputs(rules, { name: "a", envs: null }, { name: "a", envs: [] }).changed).toEqual([]);
  });

  it("still sees a list going from empty to non-empty", () => {
    const diff = diffInputs(rules, { ports: [] }, { ports: [{ internal: 80 }] });
    expect(diff.changed).toEqual(["ports"]);
    expect(diff.replaces).toEqual(["ports"]);
    expect(diff.detailed.ports).toBe(DiffKind.UPDATE_REPLACE);
  });
});

describe("offline plugins: unimplementedProperties", () => {
  it("lists keys the rules do not implement", () => {
    expect(unimplementedProperties(rules, { name: "a", privileged: true, memory: 512 })).toEqual(["privileged", "memory"]);
  });

  it("ignores the engine's __ keys and null or undefined values", () => {
    expect(
      unimplementedProperties(rules, { name: "a", __defaults: ["name"], __internal: 1, privileged: null, memory: undefined }),
    ).toEqual([]);
  });

  it("still refuses a set value that is falsy but not null", () => {
    expect(unimplementedProperties(rules, { privileged: false, memory: 0, hostname: "" })).toEqual([
      "privileged",
      "memory",
      "hostname",
    ]);
  });
});

describe("offline plugins: implementedInputs", () => {
  it("keeps only implemented, non-null members", () => {
    expect(
      implementedInputs(rules, { name: "a", image: null, restart: undefined, envs: [], privileged: true, __defaults: [] }),
    ).toEqual({
      name: "a",
      envs: [],
    });
  });
});

describe("diffInputs on set-typed properties", () => {
  it("ignores the order of a property the official schema keeps as a set, and only of that one", () => {
    const rules = { privileges: "update", command: "replace" } as const;
    const olds = { privileges: ["DELETE", "INSERT", "SELECT"], command: ["a", "b"] };
    expect(
      diffInputs(rules, olds, { privileges: ["SELECT", "INSERT", "DELETE"], command: ["a", "b"] }, ["privileges"]).changed,
    ).toEqual([]);
    expect(diffInputs(rules, olds, { privileges: ["SELECT", "INSERT"], command: ["a", "b"] }, ["privileges"]).changed).toEqual([
      "privileges",
    ]);
    expect(diffInputs(rules, olds, { privileges: olds.privileges, command: ["b", "a"] }, ["privileges"]).replaces).toEqual([
      "command",
    ]);
  });
});
