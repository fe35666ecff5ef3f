import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../../app/src/config.js";

const text = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
const assignments = Object.fromEntries(
  text
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);

describe(".env.example", () => {
  it("lists every variable the app reads", () => {
    expect(Object.keys(assignments).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("shows the defaults: loading it as-is gives the same config as nothing set", () => {
    expect(loadConfig(assignments, "/repo")).toEqual(loadConfig({}, "/repo"));
  });
});
