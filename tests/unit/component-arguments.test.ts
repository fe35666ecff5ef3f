import { describe, expect, it } from "vitest";
import { checkHostPort, checkPresent, checkWholeNumber } from "../../infra/components/argumentChecks.js";
import { hostPlatform } from "../../infra/components/appService.js";

describe("component argument checks", () => {
  it("name the component and the argument, and say what is allowed", () => {
    expect(() => checkWholeNumber("AppService", "poolMax", 0, 1)).toThrow(
      "AppService: [poolMax] must be a whole number from 1 up, got 0",
    );
    expect(() => checkWholeNumber("ExistingServer", "port", 70000, 1, 65535)).toThrow(
      "ExistingServer: [port] must be a whole number from 1 to 65535, got 70000",
    );
    expect(() => checkWholeNumber("DatabaseRole", "connectionLimit", 1.5, -1)).toThrow(/\[connectionLimit\]/);
    expect(() => checkHostPort("PgAdmin", "hostPort", 80)).toThrow(
      "PgAdmin: [hostPort] must be 0 (Docker picks a free port) or a TCP port 1024..65535, got 80",
    );
    expect(() => checkPresent("StackNetwork", "stack", "")).toThrow("StackNetwork: [stack] is required");
  });

  it("accept what is allowed", () => {
    expect(() => checkWholeNumber("DatabaseRole", "connectionLimit", -1, -1)).not.toThrow();
    for (const port of [0, 1024, 55432, 65535]) expect(() => checkHostPort("AppService", "hostPort", port)).not.toThrow();
    expect(() => checkPresent("StackNetwork", "stack", "dev")).not.toThrow();
  });
});

describe("hostPlatform", () => {
  it("builds the app image for the machine's own architecture", () => {
    expect(hostPlatform("x64")).toBe("linux/amd64");
    expect(hostPlatform("arm64")).toBe("linux/arm64");
    expect(hostPlatform("s390x")).toBe("linux/s390x");
  });
});
