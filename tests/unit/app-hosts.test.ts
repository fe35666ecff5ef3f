import { describe, expect, it } from "vitest";
import { hostName, isAllowedHost, isCrossOriginWrite, LOOPBACK_HOSTS } from "../../app/src/api/hosts.js";

describe("hostName", () => {
  it.each([
    ["127.0.0.1:3000", "127.0.0.1"],
    ["localhost", "localhost"],
    ["LocalHost.:8080", "localhost"],
    ["[::1]:3000", "::1"],
    ["[::1]", "::1"],
    ["::1", "::1"],
    ["confradar-ci-api:3000", "confradar-ci-api"],
    ["example.org", "example.org"],
  ])("%s -> %s", (header, name) => {
    expect(hostName(header)).toBe(name);
  });
});

describe("isAllowedHost", () => {
  it("answers the loopback names on any port, always", () => {
    for (const host of ["127.0.0.1:3080", "localhost", "localhost:56080", "[::1]:3000"]) {
      expect(isAllowedHost(host, []), host).toBe(true);
    }
    expect(LOOPBACK_HOSTS).toEqual(["127.0.0.1", "localhost", "::1"]);
  });

  it("refuses any other name unless it is listed; * lists every name", () => {
    expect(isAllowedHost("evil.example:3000", [])).toBe(false);
    expect(isAllowedHost("127.0.0.1.evil.example", [])).toBe(false);
    expect(isAllowedHost("localhost.evil.example", [])).toBe(false);
    expect(isAllowedHost("confradar-ci-api:3000", ["confradar-ci-api"])).toBe(true);
    expect(isAllowedHost("CONFRADAR-CI-API", ["confradar-ci-api"])).toBe(true);
    expect(isAllowedHost("[fd00::5]:3000", ["fd00::5"])).toBe(true);
    expect(isAllowedHost("anything.example", ["*"])).toBe(true);
  });

  it("lets a request without Host through: no browser sends one", () => {
    expect(isAllowedHost(undefined, [])).toBe(true);
  });
});

describe("isCrossOriginWrite", () => {
  const host = "127.0.0.1:3080";
  it("is false for reads, for clients that send no Origin, and for the page's own origin", () => {
    expect(isCrossOriginWrite("GET", "http://evil.example", host)).toBe(false);
    expect(isCrossOriginWrite("POST", undefined, host)).toBe(false);
    expect(isCrossOriginWrite("POST", "http://127.0.0.1:3080", host)).toBe(false);
    expect(isCrossOriginWrite("DELETE", "http://localhost", "localhost:80")).toBe(false);
    expect(isCrossOriginWrite("PATCH", "https://confradar.example", "confradar.example")).toBe(false);
  });

  it("is true for a write from another host, another port, or an opaque origin", () => {
    expect(isCrossOriginWrite("POST", "http://localhost:8000", host)).toBe(true);
    expect(isCrossOriginWrite("POST", "http://127.0.0.1:8000", host)).toBe(true);
    expect(isCrossOriginWrite("PATCH", "null", host)).toBe(true);
    expect(isCrossOriginWrite("DELETE", "https://evil.example", host)).toBe(true);
  });
});
