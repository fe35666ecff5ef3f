// A stack whose PostgreSQL is a server that already exists (issue #14), through the README's stack
// commands: a server started here outside Docker (tlsServer.ts: Debian's PostgreSQL, TLS required
// with a certificate made here, an admin role that is NOT a superuser). An admin lacking rights is
// refused before anything is created; then up with the app disabled (roles hold, migrations
// applied, a second up changes nothing); then the app containers, which reach the server on the
// gateway of the stack's own Docker network; destroy leaves the database and its roles.
import { randomBytes } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/stack/stack.js";
import { freeLoopbackPort, removeLabelled, requireDocker, sh } from "../toolchain/pulumiProject.js";
import {
  committedMigrations,
  createMarker,
  dockerNames,
  health,
  httpGet,
  markerExists,
  query,
  sqlState,
  StackCommands,
} from "./stackCommands.js";
import { startTlsServer, type TlsServer } from "./tlsServer.js";

const stackName = "e2e-existing";
const prefix = `confradar-${stackName}-`;
const stackFile = path.join(repoRoot, `Pulumi.${stackName}.yaml`);
const admin = { name: "confradar_admin", password: randomBytes(16).toString("hex") };
const weakAdmin = { name: "confradar_weak_admin", password: randomBytes(16).toString("hex") };
const roles = ["confradar_app", "confradar_migrator", "confradar_readonly"]; // as ORDER BY lists them
let server: TlsServer | undefined;
let stack: StackCommands | undefined;
let outputs: Record<string, unknown> = {};
const url = (role: string) => String(outputs[`${role}ConnectionString`]);
let marker = "";

/** The stack's objects on the server, as its bootstrap superuser sees them. */
function onServer(): { databases: string[]; roles: string[] } {
  return {
    databases: server!.superuserSql("SELECT datname FROM pg_database WHERE datname = 'confradar'").split("\n").filter(Boolean),
    roles: server!
      .superuserSql("SELECT rolname FROM pg_roles WHERE rolname LIKE 'confradar\\_%' AND rolname NOT LIKE '%admin' ORDER BY 1")
      .split("\n")
      .filter(Boolean),
  };
}

beforeAll(async () => {
  requireDocker();
  // The stack name is this suite's alone: what a killed run of it left is removed, not refused.
  const leftovers = dockerNames("ps", prefix);
  if (leftovers.length > 0) console.log(`[e2e ${stackName}] removing what an interrupted run left: ${leftovers.join(", ")}`);
  removeLabelled("com.confradar.stack", stackName);
  if (existsSync(stackFile)) throw new Error(`${stackFile} is left from an earlier run: remove it first`);
  server = startTlsServer(await freeLoopbackPort());
  console.log(`[e2e ${stackName}] PostgreSQL ${server.version} on 127.0.0.1:${server.port}, TLS only, in ${server.dir}`);
  // What the provider's console does on a managed server: a master role that is not a superuser.
  server.superuserSql(
    `CREATE ROLE ${admin.name} LOGIN PASSWORD '${admin.password}' CREATEROLE CREATEDB NOSUPERUSER;
     CREATE ROLE ${weakAdmin.name} LOGIN PASSWORD '${weakAdmin.password}' NOSUPERUSER NOCREATEROLE NOCREATEDB;`,
  );
  writeFileSync(
    stackFile,
    [
      `# Written by tests/e2e/existing-server.test.ts; removed when it ends.`,
      `config:`,
      `  confradar:postgresSource: existing`,
      `  confradar:existingServerHost: 127.0.0.1`,
      `  confradar:existingServerPort: "${server.port}"`,
      `  confradar:existingServerAdminUser: ${weakAdmin.name}`,
      `  confradar:existingServerSslMode: verify-full`,
      `  confradar:existingServerSslRootCert: ${server.caFile}`,
      `  confradar:appEnabled: "false"`,
      `  confradar:ingestIntervalSeconds: "0"`,
      ``,
    ].join("\n"),
  );
  stack = new StackCommands(stackName);
  await stack.pulumi(["stack", "init", stackName, "--secrets-provider", "passphrase"]);
  await stack.setSecret("existingServerAdminPassword", weakAdmin.password);
});

afterAll(async () => {
  try {
    if (stack && sh("docker", ["ps", "-aq", "--filter", `label=com.confradar.stack=${stackName}`]).stdout.trim())
      await stack.run("destroy", [], "destroy (clean-up)");
  } finally {
    removeLabelled("com.confradar.stack", stackName);
    stack?.restore();
    rmSync(stackFile, { force: true });
    server?.stop();
  }
});

describe("a stack on an existing PostgreSQL server (TLS required, admin not a superuser)", () => {
  it("refuses an admin role without CREATEROLE and CREATEDB before creating anything, listing both", async () => {
    const result = await stack!.run("up", [], "up (admin lacks CREATEROLE, CREATEDB)");
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`The admin role ${weakAdmin.name}`);
    expect(result.output).toContain("CREATEROLE");
    expect(result.output).toContain("CREATEDB");
    expect(result.output).not.toContain(weakAdmin.password);
    expect(onServer()).toEqual({ databases: [], roles: [] });
  });

  it("up with the app disabled: database, roles and grants by a non-superuser admin, over TLS, migrations applied", async () => {
    stack!.setConfig({ existingServerAdminUser: admin.name });
    await stack!.setSecret("existingServerAdminPassword", admin.password);
    await stack!.must("up", [], "up (app disabled)");
    outputs = await stack!.outputs();
    expect(outputs.postgresSource).toBe("existing");
    expect(outputs.appUrl).toBeUndefined();
    expect(outputs.superuserConnectionString).toBeUndefined();
    expect(outputs.appliedMigrations).toHaveLength(committedMigrations);
    expect(server!.superuserSql(`SELECT rolsuper FROM pg_roles WHERE rolname = '${admin.name}'`)).toBe("f");
    expect(onServer()).toEqual({ databases: ["confradar"], roles });
    // Every connection string verifies the server against the CA, and the server refuses plain ones.
    for (const role of ["migrator", "app", "readonly"]) {
      const parsed = new URL(url(role));
      expect(parsed.searchParams.get("sslmode"), role).toBe("verify-full");
      expect(parsed.searchParams.get("sslrootcert"), role).toBe(server!.caFile);
      const rows = await query<{ ssl: boolean }>(url(role), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      expect(rows[0]!.ssl, role).toBe(true);
    }
    const plain = new URL(url("app"));
    plain.search = "?sslmode=disable";
    expect(await sqlState(plain.toString(), "SELECT 1")).toBe("28000");
    // The admin keeps no membership in the stack's roles (the provider's were for one statement each).
    expect(
      server!.superuserSql(
        `SELECT count(*) FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = '${admin.name}')`,
      ),
    ).toBe("0");
  });

  it("roles hold: the app role changes rows only, the read-only role reads only, the migrator owns the schema", async () => {
    expect(await sqlState(url("app"), "SELECT count(*) FROM conferences")).toBe("ok");
    expect(
      await sqlState(
        url("app"),
        "INSERT INTO conferences (acronym, name, edition_year, format) VALUES ('E2EEXISTING', 'Existing server', 2031, 'online')",
      ),
    ).toBe("ok");
    expect(await sqlState(url("app"), "DELETE FROM conferences WHERE acronym = 'E2EEXISTING'")).toBe("ok");
    expect(await sqlState(url("app"), "CREATE TABLE app_made (id int)")).toBe("42501");
    expect(await sqlState(url("app"), "DROP TABLE conferences")).toBe("42501");
    expect(await sqlState(url("app"), "INSERT INTO migration_ledger.pgmigrations (name, run_on) VALUES ('x', now())")).toBe(
      "42501",
    );
    expect(await sqlState(url("readonly"), "SELECT count(*) FROM conferences")).toBe("ok");
    expect(
      await sqlState(
        url("readonly"),
        "INSERT INTO conferences (acronym, name, edition_year, format) VALUES ('RO', 'ro', 2031, 'online')",
      ),
    ).toBe("42501");
    const owners = await query<{ owner: string }>(
      url("migrator"),
      "SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(owners.map((o) => o.owner)).toEqual(["confradar_migrator"]);
  });

  it("a second up changes nothing", async () => {
    await stack!.must("up", ["--expect-no-changes"], "up (no changes, app disabled)");
  });

  it("the app containers reach the server on the gateway of the stack's own network, over TLS", async () => {
    const network = String(outputs.networkName);
    expect(network).toBe(`${prefix}net`);
    const ipam = JSON.parse(sh("docker", ["network", "inspect", "--format", "{{json .IPAM.Config}}", network]).stdout.trim()) as {
      Subnet: string;
      Gateway: string;
    }[];
    const { Subnet: subnet, Gateway: gateway } = ipam[0]!;
    // The server now also listens on the host's address on the stack's network, with a certificate for it.
    server!.listenAlsoOn(gateway, subnet);
    stack!.setConfig({ appEnabled: "true", existingServerAppHost: gateway, appPort: "0" });
    await stack!.must("up", [], "up (app enabled)");
    outputs = await stack!.outputs();
    for (const container of [`${prefix}api`, `${prefix}worker`]) expect(health(container), container).toBe("healthy");
    const ready = await httpGet(new URL("/readyz", String(outputs.appUrl)).toString());
    expect(ready.status, ready.body).toBe(200);
    marker = await createMarker(String(outputs.appUrl), "EXIST");
    expect(await markerExists(url("app"), marker)).toBe(true);
    // The app's sessions come from the stack's network, encrypted.
    const sessions = server!.superuserSql(
      "SELECT DISTINCT host(a.client_addr) || ' ' || s.ssl::text FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'confradar_app' AND a.client_addr IS NOT NULL AND a.client_addr <> '127.0.0.1'",
    );
    expect(sessions.split("\n").filter(Boolean).length).toBeGreaterThan(0);
    expect(sessions).not.toContain(" false");
    await stack!.must("up", ["--expect-no-changes"], "up (no changes, app enabled)");
  });

  it("destroy removes the containers and leaves the database, its rows and its roles", async () => {
    await stack!.must("destroy", [], "destroy");
    expect(dockerNames("ps", prefix)).toEqual([]);
    expect(dockerNames("network", prefix)).toEqual([]);
    expect(onServer()).toEqual({ databases: ["confradar"], roles });
    expect(server!.superuserSql(`SELECT count(*) FROM conferences WHERE acronym = '${marker}'`, "confradar")).toBe("1");
  });

  it("a new up over the kept database says so and changes nothing on the server", async () => {
    const result = await stack!.run("up", [], "up (over a kept database)");
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("already has database confradar");
    expect(onServer()).toEqual({ databases: ["confradar"], roles });
    await stack!.must("destroy", [], "destroy (after the refused up)");
  });
});
