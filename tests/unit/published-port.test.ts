import { describe, expect, it } from "vitest";
import { hostPortOf, loopbackPort } from "../../infra/components/publishedPort.js";

describe("published ports", () => {
  it("publishes on loopback, letting Docker choose when the port is 0", () => {
    expect(loopbackPort(5432, 0)).toEqual({ internal: 5432, ip: "127.0.0.1", protocol: "tcp" });
    expect(loopbackPort(5432, 55432)).toEqual({ internal: 5432, external: 55432, ip: "127.0.0.1", protocol: "tcp" });
  });

  it("reads the host port Docker gave the container", () => {
    expect(hostPortOf([{ external: 49153 }], false, "the api container")).toBe(49153);
    expect(hostPortOf([{ external: 49153 }], true, "the api container")).toBe(49153);
  });

  it("is unknown in a preview before Docker has picked the port, and an error after up", () => {
    for (const ports of [undefined, [], [{}]]) {
      expect(hostPortOf(ports, true, "the api container")).toBe("unknown");
      expect(() => hostPortOf(ports, false, "the api container")).toThrow("the api container reports no published port");
    }
  });
});
