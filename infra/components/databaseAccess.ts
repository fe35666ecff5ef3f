import * as postgresql from "@pulumi/postgresql";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { postgresUrl } from "../naming.js";
import { KeptDatabaseReclaim, ServerTakeover } from "../providers/keptCluster.js";

export interface DatabaseAccessArgs {
  /** Where the provider connects: the published port on 127.0.0.1. */
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  /** Host and port the containers on the stack's network use. */
  readonly internalHost: pulumi.Input<string>;
  readonly internalPort: pulumi.Input<number>;
  readonly superuser: string;
  readonly superuserPassword: pulumi.Input<string>;
  /**
   * The server container, healthy: its name for `docker exec` over the unix socket (the superuser's
   * password and a kept cluster, see providers/keptCluster.ts), its id to do that again when it is
   * replaced. Nothing here touches the server before it exists.
   */
  readonly container: { readonly name: string; readonly id: pulumi.Input<string> };
  /**
   * Keep the database, roles and grants in the cluster on `pulumi destroy` (with a retained data
   * volume): the provider would otherwise DROP them before the container goes. The next `up`
   * takes them back (KeptDatabaseReclaim).
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

    // The port is an output of the healthy container; the resources below also wait for the
    // takeover step, so the provider connects to nothing earlier.
    this.provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: args.host,
        port: args.port,
        username: args.superuser,
        password: args.superuserPassword,
        database: "postgres",
        sslmode: "disable",
        superuser: true,
        connectTimeout: 30,
      },
      { parent: this },
    );
    const withProvider = { parent: this, provider: this.provider, retainOnDelete: args.retainOnDelete };
    const roleNames = Object.values(ROLE_NAMES);
    // New with the stack, gone with `destroy` (as the superuser password it derives from, one-way):
    // tells the stack's own database from a kept one.
    const generation = pulumi
      .output(args.superuserPassword)
      .apply((password) => createHash("sha256").update(`confradar-generation:${password}`).digest("hex").slice(0, 16));
    const clusterFacts = {
      containerName: args.container.name,
      generation,
      superuser: args.superuser,
      databaseName,
      roleNames,
    };
    const takeover = new ServerTakeover(
      `${name}-server-takeover`,
      { ...clusterFacts, containerId: args.container.id, superuserPassword: args.superuserPassword },
      { parent: this },
    );

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
          { ...withProvider, dependsOn: [takeover] },
        ),
      ]),
    ) as Record<RoleKey, postgresql.Role>;

    this.database = new postgresql.Database(
      `${name}-database`,
      { name: databaseName, owner: roles.migrator.name, template: "template0", encoding: "UTF8" },
      withProvider,
    );
    this.databaseName = this.database.name;

    const reclaim = new KeptDatabaseReclaim(`${name}-kept-database-reclaim`, clusterFacts, {
      parent: this,
      dependsOn: [this.database, ...Object.values(roles)],
    });

    // One grant at a time: concurrent GRANT/REVOKE on one database's ACL fails with XX000 "tuple
    // concurrently updated" (cyrilgdn/terraform-provider-postgresql#178), on up and on destroy.
    const chained = () => ({ ...withProvider, dependsOn: [this.grants.at(-1) ?? reclaim] });
    const grant = (suffix: string, grantArgs: postgresql.GrantArgs) =>
      this.grants.push(new postgresql.Grant(`${name}-${suffix}`, grantArgs, chained()));
    const defaults = (suffix: string, a: postgresql.DefaultPrivilegesArgs) =>
      this.grants.push(new postgresql.DefaultPrivileges(`${name}-${suffix}`, a, chained()));

    // Nobody but the three roles may connect.
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

    const url = (key: RoleKey, host: pulumi.Input<string>, port: pulumi.Input<number>) =>
      pulumi.secret(
        pulumi
          .all([host, port, passwords[key].result, this.database.name])
          .apply(([h, p, password, database]) => postgresUrl({ user: ROLE_NAMES[key], password, host: h, port: p, database })),
      );

    this.roles = Object.fromEntries(
      (Object.keys(ROLE_NAMES) as RoleKey[]).map((key) => [
        key,
        {
          name: ROLE_NAMES[key],
          password: pulumi.secret(passwords[key].result),
          url: url(key, args.host, args.port),
          internalUrl: url(key, args.internalHost, args.internalPort),
        },
      ]),
    ) as Record<RoleKey, RoleAccess>;

    this.registerOutputs({ databaseName: this.databaseName });
  }
}
