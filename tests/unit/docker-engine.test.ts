import { describe, expect, it } from "vitest";
import { parseEngineFacts, supportsHealthStartInterval } from "../../infra/dockerEngine.js";

// What the program learns from the engine: whether health checks' start_interval survives, and
// which platform the app image is built for.
describe("the Docker engine's facts", () => {
  it("reads the API version and the platform from one `docker version` line", () => {
    expect(parseEngineFacts("1.41 linux/amd64\n")).toEqual({ apiVersion: "1.41", platform: "linux/amd64" });
    expect(parseEngineFacts("1.47 linux/arm64")).toEqual({ apiVersion: "1.47", platform: "linux/arm64" });
  });

  it("leaves out what the engine did not say, so the defaults apply", () => {
    expect(parseEngineFacts("")).toEqual({});
    expect(parseEngineFacts("1.41 /")).toEqual({ apiVersion: "1.41" });
    expect(parseEngineFacts("<no value> <no value>/<no value>")).toEqual({});
  });

  it("keeps start_interval from API 1.44 (Docker 25) on, and drops it before or without an engine", () => {
    expect(supportsHealthStartInterval("1.44")).toBe(true);
    expect(supportsHealthStartInterval("2.0")).toBe(true);
    expect(supportsHealthStartInterval("1.43")).toBe(false);
    expect(supportsHealthStartInterval("1.41")).toBe(false);
    expect(supportsHealthStartInterval(undefined)).toBe(false);
  });
});
