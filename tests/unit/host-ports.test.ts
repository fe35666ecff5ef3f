import { describe, expect, it } from "vitest";
import { hostPortsIn, portProblem } from "../../infra/hostPorts.js";

// A fixed port someone else holds stops the run before anything is created or changed.
describe("fixed host ports", () => {
  it("reads the host side of docker ps's port mappings", () => {
    expect(hostPortsIn("127.0.0.1:56080->3000/tcp")).toEqual([56080]);
    expect(hostPortsIn("0.0.0.0:5000-5002->5000-5002/tcp, :::5000-5002->5000-5002/tcp")).toEqual([
      5000, 5001, 5002, 5000, 5001, 5002,
    ]);
    expect(hostPortsIn("5432/tcp")).toEqual([]);
  });

  it("lets the stack use a free port, or one its own container publishes", () => {
    expect(portProblem("appPort", 56080, "ci", true, [])).toBeUndefined();
    expect(portProblem("appPort", 56080, "ci", false, [{ name: "confradar-ci-api", stack: "ci" }])).toBeUndefined();
  });

  it("names the key, the port and the holder otherwise", () => {
    expect(portProblem("appPort", 56080, "ci", false, [])).toMatch(
      /^confradar:appPort = 56080: 127\.0\.0\.1:56080 is already in use by another process .*pick a free port, or 0/,
    );
    expect(portProblem("postgresPort", 55432, "ci", false, [{ name: "confradar-dev-postgres", stack: "dev" }])).toMatch(
      /confradar:postgresPort = 55432: .*published by the container confradar-dev-postgres \(stack dev\)/,
    );
    // Without Docker's userland proxy nothing listens, but Docker still refuses the port.
    expect(portProblem("appPort", 3080, "ci", true, [{ name: "some-web", stack: "" }])).toMatch(
      /published by the container some-web;/,
    );
  });
});
