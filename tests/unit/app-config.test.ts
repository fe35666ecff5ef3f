import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../app/src/config.js";

const root = "/repo";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, root);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("gives the documented defaults with nothing set", () => {
    const c = loadConfig({}, root);
    expect(c).toMatchObject({
      databaseUrl: undefined,
      port: 3000,
      host: "127.0.0.1",
      allowedHosts: [],
      logLevel: "info",
      pool: { max: 10, idleTimeoutMs: 10_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000 },
      dbStartupTimeoutMs: 30_000,
      ingestIntervalSeconds: 3600,
      datasetPath: path.join(root, "data/conferences.json"),
    });
    expect(c.pool.connectionTimeoutMs).toBeGreaterThan(0);
  });

  it("treats empty strings as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: " ", LOG_LEVEL: "" }, root)).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      logLevel: "info",
    });
  });

  it("reads every variable", () => {
    const c = loadConfig(
      {
        DATABASE_URL: "postgres://app:pw@db:5432/confradar",
        PORT: "8080",
        HOST: "0.0.0.0",
        LOG_LEVEL: "debug",
        PG_POOL_MAX: "4",
        PG_IDLE_TIMEOUT_MS: "0",
        PG_CONNECTION_TIMEOUT_MS: "1500",
        PG_STATEMENT_TIMEOUT_MS: "0",
        DB_STARTUP_TIMEOUT_MS: "90000",
        INGEST_INTERVAL_SECONDS: "0",
        DATASET_PATH: "/data/x.json",
        WORKER_HEARTBEAT_FILE: "run/hb",
      },
      root,
    );
    expect(c).toMatchObject({
      databaseUrl: "postgres://app:pw@db:5432/confradar",
      port: 8080,
      host: "0.0.0.0",
      logLevel: "debug",
      pool: { max: 4, idleTimeoutMs: 0, connectionTimeoutMs: 1500, statementTimeoutMs: 0 },
      dbStartupTimeoutMs: 90_000,
      ingestIntervalSeconds: 0,
      datasetPath: "/data/x.json",
      workerHeartbeatFile: path.join(root, "run/hb"),
    });
  });

  it.each(["pglite:memory", "pglite://./.pglite/x", "pglite:///abs/dir", "postgresql://u@h/db"])(
    "accepts DATABASE_URL=%s",
    (url) => {
      expect(loadConfig({ DATABASE_URL: url }, root).databaseUrl).toBe(url);
    },
  );

  it.each([
    ["PORT", "abc", /PORT="abc" is not allowed: expected an integer from 0 to 65535/],
    ["PORT", "70000", /PORT="70000".*0 to 65535/],
    ["PG_POOL_MAX", "0", /PG_POOL_MAX="0".*from 1 to 200/],
    ["PG_CONNECTION_TIMEOUT_MS", "0", /PG_CONNECTION_TIMEOUT_MS="0".*from 1 to/],
    ["PG_IDLE_TIMEOUT_MS", "-5", /PG_IDLE_TIMEOUT_MS="-5"/],
    ["PG_STATEMENT_TIMEOUT_MS", "1.5", /PG_STATEMENT_TIMEOUT_MS="1.5"/],
    ["DB_STARTUP_TIMEOUT_MS", "soon", /DB_STARTUP_TIMEOUT_MS="soon"/],
    ["INGEST_INTERVAL_SECONDS", "1h", /INGEST_INTERVAL_SECONDS="1h".*0 = only on demand/],
    ["LOG_LEVEL", "verbose", /LOG_LEVEL="verbose".*one of fatal, error, warn, info, debug, trace, silent/],
    ["HOST", "a b", /HOST="a b"/],
    ["DATABASE_URL", "mysql://u:pw@h/db", /DATABASE_URL="mysql:\/\/u:\*\*\*@h\/db".*pglite:memory/],
  ])("rejects %s=%s naming the variable, the value and what is allowed", (name, value, expected) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it("never prints a password from DATABASE_URL", () => {
    const problems = problemsOf({ DATABASE_URL: "sqlite://admin:s3cr3t-pw@host/db" });
    expect(problems.join("\n")).not.toContain("s3cr3t-pw");
    expect(problems[0]).toContain("admin:***@host");
  });

  it.each([
    ["postgres://u:pa ss@h/db", "postgres://u:***@h/db", ["pa ss"]],
    ["postgres://u:Pa/ss W0rd@h/db", "postgres://u:***@h/db", ["Pa/ss", "W0rd"]],
    ["postgres://h/db?user=u&password=pa ss", "postgres://h/db?user=u&password=***", ["pa ss"]],
  ])("never prints a password with a space, which the URL check refuses: %s", (url, shown, secrets) => {
    const problems = problemsOf({ DATABASE_URL: url });
    expect(problems[0]).toContain(`DATABASE_URL=${JSON.stringify(shown)} is not allowed`);
    for (const secret of secrets) expect(problems.join("\n")).not.toContain(secret);
  });

  it("reads ALLOWED_HOSTS as names and addresses, in lower case, without the loopback ones it always has", () => {
    expect(
      loadConfig({ ALLOWED_HOSTS: " confradar-ci-api, App.Example.org ,10.0.0.5,[fd00::1], fd00::2" }, root).allowedHosts,
    ).toEqual(["confradar-ci-api", "app.example.org", "10.0.0.5", "[fd00::1]", "fd00::2"]);
    expect(loadConfig({ ALLOWED_HOSTS: "*" }, root).allowedHosts).toEqual(["*"]);
  });

  it.each(["app.example.org:3000", "http://app.example.org", "a b", "under score."])(
    "rejects ALLOWED_HOSTS=%s, saying names go without a port",
    (value) => {
      expect(problemsOf({ ALLOWED_HOSTS: value })[0]).toMatch(
        /^ALLOWED_HOSTS=.* is not allowed: expected comma-separated host names .*without a port/,
      );
    },
  );

  it("lists every bad variable at once", () => {
    let message = "";
    try {
      loadConfig({ PORT: "x", PG_POOL_MAX: "y" }, root);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/Invalid configuration/);
    expect(message).toMatch(/PORT="x"/);
    expect(message).toMatch(/PG_POOL_MAX="y"/);
    expect(message).toMatch(/\.env\.example/);
  });
});
