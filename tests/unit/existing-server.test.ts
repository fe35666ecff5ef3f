import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseStackConfig, StackConfigError } from "../../infra/stackConfig/schema.js";
import { postgresUrl } from "../../infra/components/connection.js";
import { adminCheckMessage, connectionHint, missingAdminPrivileges, type AdminFacts } from "../../infra/serverAdmin.js";
import { sslOption } from "../../offline/plugins/postgresql/session.js";
import { repoRoot as root } from "../../app/src/paths.js";

const secret = new Set(["existingServerAdminPassword"]);
const existing = {
  postgresSource: "existing",
  existingServerHost: "db.example.internal",
  existingServerAdminUser: "confradar_admin",
  existingServerAdminPassword: "s3cret-value",
};

function problemsOf(raw: Record<string, string>, secretKeys: ReadonlySet<string> = secret): string[] {
  try {
    parseStackConfig(raw, secretKeys);
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("stack config for an existing server", () => {
  it("parses the committed staging stack once its password is set as a secret", () => {
    const doc = parse(readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8")) as { config: Record<string, string> };
    const raw = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace("confradar:", ""), String(v)]));
    expect(raw.existingServerAdminPassword, "no secret in the committed file").toBeUndefined();
    expect(problemsOf(raw)).toEqual([
      "confradar:existingServerAdminPassword = (unset) is required with postgresSource = existing (set it with `pulumi config set --secret confradar:existingServerAdminPassword`)",
    ]);
    const c = parseStackConfig({ ...raw, existingServerAdminPassword: "x" }, secret);
    expect(c).toMatchObject({
      postgresSource: "existing",
      existingServerSslMode: "verify-full",
      retainDatabase: true,
      appEnabled: true,
    });
  });

  it("applies the defaults: port 5432, admin database postgres, verify-full, the database kept", () => {
    expect(parseStackConfig(existing, secret)).toMatchObject({
      existingServerPort: 5432,
      existingServerAdminDatabase: "postgres",
      existingServerSslMode: "verify-full",
      existingServerSslRootCert: "",
      retainDatabase: true,
    });
  });

  it("names every missing required key at once", () => {
    const problems = problemsOf({ postgresSource: "existing" });
    expect(problems.map((p) => p.split(" ")[0])).toEqual([
      "confradar:existingServerHost",
      "confradar:existingServerAdminUser",
      "confradar:existingServerAdminPassword",
    ]);
  });

  it("refuses a password stored in plain text, and never echoes it", () => {
    const problems = problemsOf(existing, new Set());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("existingServerAdminPassword is stored in plain text");
    expect(problems.join("\n")).not.toContain("s3cret-value");
  });

  it.each([
    [
      { existingServerSslMode: "prefer" },
      'confradar:existingServerSslMode = "prefer" must be one of disable, require, verify-ca, verify-full',
    ],
    [
      { existingServerSslMode: "verify-ca" },
      "confradar:existingServerSslRootCert = (unset) is required with existingServerSslMode = verify-ca",
    ],
    [
      { existingServerHost: "postgres://db:5432" },
      'confradar:existingServerHost = "postgres://db:5432" must be a host name or IP address',
    ],
    [{ existingServerPort: "0" }, 'confradar:existingServerPort = "0" must be a TCP port 1..65535'],
    [{ pgadminEnabled: "true" }, 'confradar:pgadminEnabled = "true" must be false with postgresSource = existing'],
  ])("rejects %j", (extra, expected) => {
    const problems = problemsOf({ ...existing, ...(extra as Record<string, string>) });
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("refuses existing-server keys on a Docker stack (a forgotten postgresSource)", () => {
    const problems = problemsOf({ existingServerHost: "db.example.internal", retainDatabase: "false" });
    expect(problems).toEqual([
      "confradar:existingServerHost, confradar:retainDatabase: only used with confradar:postgresSource = existing (this stack runs PostgreSQL in Docker); remove them or set postgresSource",
    ]);
  });
});

describe("connection strings with TLS", () => {
  const facts = { user: "app", password: "p@ss", host: "db.example.internal", port: 5432, database: "confradar" };
  it("carries sslmode and the CA path", () => {
    const url = new URL(postgresUrl(facts, { sslmode: "verify-full", sslrootcert: "/etc/confradar/postgres-root.crt" }));
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(url.searchParams.get("sslrootcert")).toBe("/etc/confradar/postgres-root.crt");
  });
  it("names no CA with TLS off, and defaults to off (the Docker server)", () => {
    expect(postgresUrl(facts, { sslmode: "disable", sslrootcert: "/x" })).toMatch(/\?sslmode=disable$/);
    expect(postgresUrl(facts)).toMatch(/\?sslmode=disable$/);
  });
});

describe("what the admin role needs", () => {
  const able: AdminFacts = {
    role: "confradar_admin",
    superuser: false,
    createRole: true,
    createDb: true,
    inherit: true,
    serverVersionNum: 150018,
    serverVersion: "15.18",
  };
  it("asks nothing more of a non-superuser with CREATEROLE, CREATEDB and INHERIT on 15+", () => {
    expect(missingAdminPrivileges(able)).toEqual([]);
  });
  it("lists every missing attribute with the statement that grants it", () => {
    const missing = missingAdminPrivileges({ ...able, createRole: false, createDb: false, inherit: false });
    expect(missing).toHaveLength(3);
    expect(missing[0]).toContain('ALTER ROLE "confradar_admin" CREATEROLE');
    expect(missing[1]).toContain('ALTER ROLE "confradar_admin" CREATEDB');
    expect(missing[2]).toContain('ALTER ROLE "confradar_admin" INHERIT');
  });
  it("refuses a server older than 15, superuser or not", () => {
    expect(missingAdminPrivileges({ ...able, superuser: true, serverVersionNum: 140010, serverVersion: "14.10" })).toEqual([
      expect.stringContaining("this one is 14.10"),
    ]);
  });
  it("needs nothing else of a superuser", () => {
    expect(missingAdminPrivileges({ ...able, superuser: true, createRole: false, createDb: false })).toEqual([]);
  });
  it("says where and what, in one message", () => {
    const message = adminCheckMessage("weak", "db:5432", ["a", "b"]);
    expect(message).toContain("The admin role weak on db:5432");
    expect(message).toContain("nothing was created");
    expect(message).toContain("  - a\n  - b");
  });
  it.each([
    [{ code: "28P01", message: "password authentication failed" }, "existingServerAdminPassword"],
    [{ code: "28000", message: "no pg_hba.conf entry" }, "pg_hba.conf"],
    [{ message: "self-signed certificate in certificate chain" }, "existingServerSslRootCert"],
    [{ message: "connect ECONNREFUSED 127.0.0.1:1" }, "existingServerHost"],
  ])("turns %j into what to check", (error, hint) => {
    expect(connectionHint(error)).toContain(hint);
  });
});

describe("the offline postgresql plugin's TLS modes (libpq's meanings)", () => {
  const ca = path.join(root, "tests/fixtures/app-dataset.json"); // any readable file stands in for the CA here
  it("disable: no TLS", () => expect(sslOption("disable")).toBe(false));
  it("require without a CA: encrypted, unchecked", () => expect(sslOption("require")).toEqual({ rejectUnauthorized: false }));
  it("require with a CA: checked as verify-ca", () => {
    const option = sslOption("require", ca) as { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined; ca: string };
    expect(option.rejectUnauthorized).toBe(true);
    expect(option.checkServerIdentity?.()).toBeUndefined();
    expect(option.ca.length).toBeGreaterThan(0);
  });
  it("verify-full: the chain and the host name (Node's own check)", () => {
    const option = sslOption("verify-full", ca) as Record<string, unknown>;
    expect(option.rejectUnauthorized).toBe(true);
    expect(option.checkServerIdentity).toBeUndefined();
  });
  it("names an unreadable CA file", () => {
    expect(() => sslOption("verify-ca", "/nonexistent/ca.pem")).toThrow(
      "postgresql:sslrootcert /nonexistent/ca.pem cannot be read",
    );
  });
});
