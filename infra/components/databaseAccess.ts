import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { postgresUrl } from "../naming.js";

export interface DatabaseAccessArgs {
  /** Where the provider connects: the published port on 127.0.0.1. */
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  /** Host and port the containers on the stack's network use. */
  readonly internalHost: pulumi.Input<string>;
  readonly internalPort: pulumi.Input<number>;
  readonly superuser: string;
  readonly superuserPassword: pulumi.Input<string>;
  /** Resolves once the server is healthy; the provider is not used before. */
  readonly ready: pulumi.Input<string>;
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
  /** Resolves once the database, roles and every grant exist. */
  public readonly ready: pulumi.Output<string>;

  constructor(name: string, args: DatabaseAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:DatabaseAccess", name, {}, opts);
    const databaseName = args.databaseName ?? "confradar";
    const keepers = { version: String(args.passwordVersion ?? 1) };

    // The port comes from the healthy container, so the provider cannot connect any earlier.
    this.provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: args.host,
        port: pulumi.all([args.port, args.ready]).apply(([port]) => port),
        username: args.superuser,
        password: args.superuserPassword,
        database: "postgres",
        sslmode: "disable",
        superuser: true,
        connectTimeout: 30,
      },
      { parent: this },
    );
    const withProvider = { parent: this, provider: this.provider };

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
          withProvider,
        ),
      ]),
    ) as Record<RoleKey, postgresql.Role>;

    this.database = new postgresql.Database(
      `${name}-database`,
      { name: databaseName, owner: roles.migrator.name, template: "template0", encoding: "UTF8" },
      withProvider,
    );
    this.databaseName = this.database.name;

    const grants: pulumi.Resource[] = [];
    const grant = (suffix: string, grantArgs: postgresql.GrantArgs) =>
      grants.push(new postgresql.Grant(`${name}-${suffix}`, grantArgs, withProvider));
    const defaults = (suffix: string, a: postgresql.DefaultPrivilegesArgs) =>
      grants.push(new postgresql.DefaultPrivileges(`${name}-${suffix}`, a, withProvider));

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

    this.ready = pulumi
      .all([this.database.id, ...Object.values(roles).map((r) => r.id), ...grants.map((g) => (g as pulumi.CustomResource).id)])
      .apply(([id]) => String(id));

    this.registerOutputs({ databaseName: this.databaseName, ready: this.ready });
  }
}
