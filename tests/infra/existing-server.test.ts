// The program's shape with postgresSource=existing: nothing of the server is created, the provider
// logs in as a non-superuser admin over TLS, every statement waits for the pre-flight check, and
// destroy keeps the database (retainDatabase).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSecretInput, plain, type ProgramRun, runProgram, waitedFor } from "./harness.js";

const dir = mkdtempSync(path.join(tmpdir(), "confradar-infra-existing-"));
const caFile = path.join(dir, "ca.pem");
const pem = "-----BEGIN CERTIFICATE-----\nMIIBmock\n-----END CERTIFICATE-----\n";
let run: ProgramRun;

beforeAll(async () => {
  writeFileSync(caFile, pem);
  run = await runProgram(
    "staging",
    {
      postgresSource: "existing",
      existingServerHost: "db.example.internal",
      existingServerPort: "6432",
      existingServerAppHost: "db-private.example.internal",
      existingServerAdminUser: "confradar_admin",
      existingServerAdminPassword: "admin-secret",
      existingServerSslMode: "verify-full",
      existingServerSslRootCert: caFile,
    },
    { secretKeys: ["existingServerAdminPassword"], late: ["existing-postgres-check", "postgresql:index/grant:Grant"] },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a stack on an existing server", () => {
  it("creates nothing of the server: no server container, volume, guard or superuser password", () => {
    expect(run.byType("confradar:database:PostgresServer")).toHaveLength(0);
    expect(run.byType("docker:index/volume:Volume")).toHaveLength(0);
    expect(run.byType("docker:index/remoteImage:RemoteImage")).toHaveLength(0);
    const containers = run.byType("docker:index/container:Container").map((c) => plain(c.inputs.name));
    expect(containers.sort()).toEqual(["confradar-staging-api", "confradar-staging-worker"]);
    expect(run.byType("random:index/randomPassword:RandomPassword")).toHaveLength(3); // the three roles
    expect(plain(run.one("docker:index/network:Network", "stack-network").inputs.name)).toBe("confradar-staging-net");
    expect(run.outputs.superuserConnectionString).toBeUndefined();
    expect(run.outputs.volumeName).toBeUndefined();
    expect(run.outputs.postgresSource).toBe("existing");
  });

  it("logs the provider in as the admin, not a superuser, with the TLS settings", () => {
    const provider = run.one("pulumi:providers:postgresql", "database-provider");
    expect(isSecretInput(provider.inputs.password)).toBe(true);
    expect(plain(provider.inputs)).toMatchObject({
      host: "db.example.internal",
      port: "6432",
      username: "confradar_admin",
      password: "admin-secret",
      database: "postgres",
      sslmode: "verify-full",
      sslrootcert: caFile,
      superuser: "false",
    });
  });

  it("makes every role wait for the pre-flight check, and keeps the database and roles on destroy", () => {
    const check = run.one("pulumi-nodejs:dynamic/confradar:ExistingServerCheck", "existing-postgres-check");
    const roles = run.byType("postgresql:index/role:Role");
    expect(roles).toHaveLength(3);
    for (const role of roles) {
      expect(waitedFor(role, check), role.name).toBe(true);
      expect(role.retainOnDelete, role.name).toBe(true);
    }
    expect(run.one("postgresql:index/database:Database", "database-database").retainOnDelete).toBe(true);
    for (const grant of run.byType("postgresql:index/grant:Grant")) expect(grant.retainOnDelete, grant.name).toBe(true);
  });

  it("gives the admin CONNECT on the database before PUBLIC loses it", () => {
    const adminConnect = run.one("postgresql:index/grant:Grant", "database-admin-connect");
    expect(waitedFor(run.one("postgresql:index/grant:Grant", "database-public-connect"), adminConnect)).toBe(true);
    expect(plain(adminConnect.inputs)).toMatchObject({
      role: "confradar_admin",
      objectType: "database",
      privileges: ["CONNECT"],
    });
  });

  it("puts TLS in every connection string: the CA's path here, and in the containers where the stack uploads it", () => {
    const migrator = new URL(String(run.outputs.migratorConnectionString));
    expect(migrator.host).toBe("db.example.internal:6432");
    expect(migrator.searchParams.get("sslmode")).toBe("verify-full");
    expect(migrator.searchParams.get("sslrootcert")).toBe(caFile);
    for (const key of [
      "migratorConnectionString",
      "appConnectionString",
      "readonlyConnectionString",
      "appInternalConnectionString",
    ])
      expect(run.secretOutputs.has(key), key).toBe(true);
    const api = plain(run.one("docker:index/container:Container", "app-api").inputs);
    const databaseUrl = new URL((api.envs as string[]).find((e) => e.startsWith("DATABASE_URL="))!.slice("DATABASE_URL=".length));
    expect(databaseUrl.host).toBe("db-private.example.internal:6432");
    expect(databaseUrl.searchParams.get("sslrootcert")).toBe("/etc/confradar/postgres-root.crt");
    expect(api.uploads).toEqual([{ file: "/etc/confradar/postgres-root.crt", content: pem }]);
  });
});
