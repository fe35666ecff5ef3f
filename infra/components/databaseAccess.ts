import * as postgresql from "@pulumi/postgresql";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { postgresUrl, type UrlTls } from "./connection.js";
import { KeptDatabaseReclaim, ServerTakeover } from "../providers/keptCluster.js";

/** How the postgresql provider logs in to administer the server. */
export interface AdminConnection {
  /** Where the provider (and the migration step) connect: the published port on 127.0.0.1, or the existing server. */
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly username: string;
  /** Secret. */
  readonly password: pulumi.Input<string>;
  /** The database the provider connects to for server-wide statements. Default "postgres". */
  readonly database?: string;
  /**
   * A real superuser (the Docker server) or not (a managed server's admin with CREATEROLE and
   * CREATEDB). Passed to the provider as `superuser`; without one, the admin also gets CONNECT on
   * the stack's database, since PUBLIC loses it and the provider must still connect there to grant.
   */
  readonly superuser: boolean;
}

/** The server container of the Docker source, for the kept-volume steps (providers/keptCluster.ts). */
export interface DockerCluster {
  /**
   * The server container, healthy: its name for `docker exec` over the unix socket (the superuser's
   * password and a kept cluster), its id to do that again when it is replaced.
   */
  readonly containerName: string;
  readonly containerId: pulumi.Input<string>;
}

export interface DatabaseAccessArgs {
  readonly admin: AdminConnection;
  /** TLS of every connection from this machine (the provider's, the migration step's, the URL outputs). Default: none. */
  readonly tls?: UrlTls;
  /** Host and port the app containers use, and their TLS (the CA file at its path inside them). */
  readonly internalHost: pulumi.Input<string>;
  readonly internalPort: pulumi.Input<number>;
  readonly internalTls?: UrlTls;
  /** Only for the Docker source: set aside and take back a kept cluster's objects. */
  readonly dockerCluster?: DockerCluster;
  /** Only for an existing server: its pre-flight check, which every statement waits for. */
  readonly serverCheck?: pulumi.Resource;
  /**
   * Keep the database, roles and grants on `pulumi destroy` (a retained data volume, or an existing
   * server without retainDatabase=false): the provider would otherwise DROP them.
   */
  readonly retainOnDelete: boolean;
  /** Database to create. Default "confradar". */
  readonly databaseName?: string;
  /** Bump to generate new passwords for the three roles; they are rotated with ALTER ROLE. Default 1. */
  readonly passwordVersion?: number;
}

export type RoleKey = "migrator" | "app" | "readonly";

export interface RoleAccess {
  readonly name: string;
  readonly password: pulumi.Output<string>;
  /** postgres:// URL through 127.0.0.1 (secret). */
  readonly url: pulumi.Output<string>;
  /** postgres:// URL inside the stack's Docker network (secret). */
  readonly internalUrl: pulumi.Output<string>;
}

export const ROLE_NAMES: Record<RoleKey, string> = {
  migrator: "confradar_migrator",
  app: "confradar_app",
  readonly: "confradar_readonly",
};

/** Rows only, on every table and sequence the migrator creates in the schema. */
const APP_TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"];
const APP_SEQUENCE_PRIVILEGES = ["USAGE", "SELECT"];

/**
 * The database and its three roles. The migrator owns the database, and with it the public schema
 * (PostgreSQL 15+ gives that schema to pg_database_owner), so it alone changes the schema. The app
 * role reads and writes rows; the read-only role reads. Both get their rights through default
 * privileges on what the migrator creates, plus grants on what already exists.
 */
export class DatabaseAccess extends pulumi.ComponentResource {
  public readonly provider: postgresql.Provider;
  public readonly database: postgresql.Database;
  public readonly databaseName: pulumi.Output<string>;
  public readonly roles: Record<RoleKey, RoleAccess>;
  /** Every grant and default privilege, created one after another in this order. */
  public readonly grants: pulumi.CustomResource[] = [];

  constructor(name: string, args: DatabaseAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:DatabaseAccess", name, {}, opts);
    const databaseName = args.databaseName ?? "confradar";
    const keepers = { version: String(args.passwordVersion ?? 1) };

    if (args.dockerCluster && args.serverCheck)
      throw new Error(
        "DatabaseAccess: give either [dockerCluster] (the Docker server) or [serverCheck] (an existing server), not both",
      );
    const tls: UrlTls = args.tls ?? { sslmode: "disable" };

    // The Docker port is an output of the healthy container, and the resources below also wait for
    // the takeover step (Docker) or the pre-flight check (an existing server), so the provider
    // connects to nothing earlier.
    this.provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: args.admin.host,
        port: args.admin.port,
        username: args.admin.username,
        password: args.admin.password,
        database: args.admin.database ?? "postgres",
        sslmode: tls.sslmode,
        ...(tls.sslrootcert ? { sslrootcert: tls.sslrootcert } : {}),
        superuser: args.admin.superuser,
        connectTimeout: 30,
      },
      { parent: this },
    );
    const withProvider = { parent: this, provider: this.provider, retainOnDelete: args.retainOnDelete };
    const roleNames = Object.values(ROLE_NAMES);
    let ready: pulumi.Resource | undefined = args.serverCheck;
    let afterDatabase: (database: postgresql.Database, roles: postgresql.Role[]) => pulumi.Resource | undefined = () => undefined;
    if (args.dockerCluster) {
      const cluster = args.dockerCluster;
      // New with the stack, gone with `destroy` (as the superuser password it derives from, one-way):
      // tells the stack's own database from a kept one.
      const generation = pulumi
        .output(args.admin.password)
        .apply((password) => createHash("sha256").update(`confradar-generation:${password}`).digest("hex").slice(0, 16));
      const clusterFacts = {
        containerName: cluster.containerName,
        generation,
        superuser: args.admin.username,
        databaseName,
        roleNames,
      };
      ready = new ServerTakeover(
        `${name}-server-takeover`,
        { ...clusterFacts, containerId: cluster.containerId, superuserPassword: args.admin.password },
        { parent: this },
      );
      afterDatabase = (database, roles) =>
        new KeptDatabaseReclaim(`${name}-kept-database-reclaim`, clusterFacts, {
          parent: this,
          dependsOn: [database, ...roles],
        });
    }

    const passwords = Object.fromEntries(
      (Object.keys(ROLE_NAMES) as RoleKey[]).map((key) => [
        key,
        new random.RandomPassword(`${name}-${key}-password`, { length: 32, special: false, keepers }, { parent: this }),
      ]),
    ) as Record<RoleKey, random.RandomPassword>;

    const roles = Object.fromEntries(
      (Object.keys(ROLE_NAMES) as RoleKey[]).map((key) => [
        key,
        new postgresql.Role(
          `${name}-${key}-role`,
          { name: ROLE_NAMES[key], login: true, password: passwords[key].result, connectionLimit: key === "app" ? 100 : 20 },
          { ...withProvider, dependsOn: ready ? [ready] : [] },
        ),
      ]),
    ) as Record<RoleKey, postgresql.Role>;

    this.database = new postgresql.Database(
      `${name}-database`,
      { name: databaseName, owner: roles.migrator.name, template: "template0", encoding: "UTF8" },
      withProvider,
    );
    this.databaseName = this.database.name;

    const reclaim = afterDatabase(this.database, Object.values(roles));

    // One grant at a time: concurrent GRANT/REVOKE on one database's ACL fails with XX000 "tuple
    // concurrently updated" (cyrilgdn/terraform-provider-postgresql#178), on up and on destroy.
    const chained = () => ({ ...withProvider, dependsOn: [this.grants.at(-1) ?? reclaim ?? this.database] });
    const grant = (suffix: string, grantArgs: postgresql.GrantArgs) =>
      this.grants.push(new postgresql.Grant(`${name}-${suffix}`, grantArgs, chained()));
    const defaults = (suffix: string, a: postgresql.DefaultPrivilegesArgs) =>
      this.grants.push(new postgresql.DefaultPrivileges(`${name}-${suffix}`, a, chained()));

    // A non-superuser admin connects to the database through PUBLIC's CONNECT until the grant below
    // takes it away; it keeps its own, or the next grant in the database could not connect.
    if (!args.admin.superuser)
      grant("admin-connect", {
        database: this.database.name,
        role: args.admin.username,
        objectType: "database",
        privileges: ["CONNECT"],
      });
    // Nobody but the three roles (and a non-superuser admin) may connect.
    grant("public-connect", { database: this.database.name, role: "public", objectType: "database", privileges: [] });
    for (const key of ["app", "readonly"] as const) {
      const role = roles[key].name;
      const tablePrivileges = key === "app" ? APP_TABLE_PRIVILEGES : ["SELECT"];
      const sequencePrivileges = key === "app" ? APP_SEQUENCE_PRIVILEGES : ["SELECT"];
      grant(`${key}-connect`, { database: this.database.name, role, objectType: "database", privileges: ["CONNECT"] });
      grant(`${key}-schema`, {
        database: this.database.name,
        role,
        schema: "public",
        objectType: "schema",
        privileges: ["USAGE"],
      });
      grant(`${key}-tables`, {
        database: this.database.name,
        role,
        schema: "public",
        objectType: "table",
        privileges: tablePrivileges,
      });
      grant(`${key}-sequences`, {
        database: this.database.name,
        role,
        schema: "public",
        objectType: "sequence",
        privileges: sequencePrivileges,
      });
      defaults(`${key}-default-tables`, {
        database: this.database.name,
        role,
        owner: roles.migrator.name,
        schema: "public",
        objectType: "table",
        privileges: tablePrivileges,
      });
      defaults(`${key}-default-sequences`, {
        database: this.database.name,
        role,
        owner: roles.migrator.name,
        schema: "public",
        objectType: "sequence",
        privileges: sequencePrivileges,
      });
    }
    // A database grant revokes everything first, the owner's own rights included: CREATE stays in
    // the list, or a migration that creates a schema or a trusted extension would be denied.
    grant("migrator-connect", {
      database: this.database.name,
      role: roles.migrator.name,
      objectType: "database",
      privileges: ["CONNECT", "CREATE", "TEMPORARY"],
    });

    const url = (key: RoleKey, host: pulumi.Input<string>, port: pulumi.Input<number>, urlTls: UrlTls) =>
      pulumi.secret(
        pulumi
          .all([host, port, passwords[key].result, this.database.name])
          .apply(([h, p, password, database]) =>
            postgresUrl({ user: ROLE_NAMES[key], password, host: h, port: p, database }, urlTls),
          ),
      );

    this.roles = Object.fromEntries(
      (Object.keys(ROLE_NAMES) as RoleKey[]).map((key) => [
        key,
        {
          name: ROLE_NAMES[key],
          password: pulumi.secret(passwords[key].result),
          url: url(key, args.admin.host, args.admin.port, tls),
          internalUrl: url(key, args.internalHost, args.internalPort, args.internalTls ?? tls),
        },
      ]),
    ) as Record<RoleKey, RoleAccess>;

    this.registerOutputs({ databaseName: this.databaseName });
  }
}
