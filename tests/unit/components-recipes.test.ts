import { describe, expect, it } from "vitest";
import { pgpassLine, postgresUrl } from "../../infra/components/connection.js";
import { dockerDuration, healthcheck } from "../../infra/components/healthcheck.js";
import { pgadminServersJson } from "../../infra/components/pgAdmin.js";
import { postgresDataMountPath, postgresHealthTest } from "../../infra/components/postgresServer.js";

// The components' pure recipes, without mocks: each lives beside the component that uses it.
describe("PostgresServer recipes", () => {
  it("mounts the volume where each major version keeps its data", () => {
    expect(postgresDataMountPath(16)).toBe("/var/lib/postgresql/data");
    expect(postgresDataMountPath(17)).toBe("/var/lib/postgresql/data");
    expect(postgresDataMountPath(18)).toBe("/var/lib/postgresql");
  });
  it("checks readiness over TCP, not the socket", () => {
    expect(postgresHealthTest("postgres", "postgres")[1]).toContain("-h 127.0.0.1");
    expect(healthcheck(["CMD", "true"], { intervalSeconds: 2, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 })).toEqual({
      tests: ["CMD", "true"],
      interval: "2s",
      timeout: "5s",
      retries: 3,
      startPeriod: "0s",
      startInterval: "0s",
    });
  });
});

describe("health checks", () => {
  it("writes health check timings as the docker provider reads them back (Go durations), so `up` sees no drift", () => {
    expect([0, 2, 59, 60, 90, 3600, 3661].map(dockerDuration)).toEqual(["0s", "2s", "59s", "1m0s", "1m30s", "1h0m0s", "1h1m1s"]);
    const timings = { intervalSeconds: 10, timeoutSeconds: 5, retries: 30, startPeriodSeconds: 60 };
    expect(healthcheck(["CMD", "true"], { ...timings, startIntervalSeconds: 1 })).toMatchObject({
      interval: "10s",
      startPeriod: "1m0s",
      startInterval: "1s",
    });
    // An engine without start_interval (API < 1.44): probes at most every 2 s, none of its own at start.
    expect(healthcheck(["CMD", "true"], timings)).toMatchObject({ interval: "2s", startInterval: "0s" });
  });
});

describe("connections", () => {
  it("escapes credentials in URLs and passfiles", () => {
    const facts = { user: "app", password: "p@ss:w/rd", host: "postgres", port: 5432, database: "confradar" };
    expect(postgresUrl(facts)).toBe("postgres://app:p%40ss%3Aw%2Frd@postgres:5432/confradar?sslmode=disable");
    expect(new URL(postgresUrl(facts)).password).toBe("p%40ss%3Aw%2Frd");
    expect(pgpassLine(facts)).toBe("postgres:5432:confradar:app:p@ss\\:w/rd\n");
  });
});

describe("PgAdmin recipes", () => {
  it("preloads pgAdmin with a server whose password is in a passfile, not in servers.json", () => {
    const json = JSON.parse(
      pgadminServersJson({
        name: "ConfRadar (dev)",
        host: "postgres",
        port: 5432,
        database: "confradar",
        username: "m",
        passFile: "/pgpass",
      }),
    );
    expect(json.Servers["1"]).toMatchObject({ Host: "postgres", PassFile: "/pgpass", Username: "m" });
    expect(JSON.stringify(json)).not.toMatch(/Password"/);
  });
});
