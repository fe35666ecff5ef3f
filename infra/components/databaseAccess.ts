import * as postgresql from "@pulumi/postgresql";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { checkPresent, checkWholeNumber } from "./argumentChecks.js";
import { connectionUrl, type ServerConnection } from "./connection.js";
import { KeptDatabaseReclaim, ServerTakeover } from "../providers/keptCluster.js";

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
  /**
   * The server (PostgresServer's or ExistingServer's `connection`): the provider, the migration
   * step and the URL outputs use its external endpoint, the app containers its internal one.
   */
  readonly server: ServerConnection;
  /** Only for the Docker source: set aside and take back a kept cluster's objects. */
  readonly dockerCluster?: DockerCluster;
  /** Only for an existing server: its pre-flight check, which every statement waits for. */
  readonly serverCheck?: pulumi.Resource;
  /**
   * Keep the database, roles and grants on `pulumi destroy` (a retained data volume, or an existing
   * server without retainDatabase=false): the provider would otherwise DROP them.
   */
  readonly retainOnDelete: boolean;
  /** Database to create: a lower-case SQL identifier. Default "confradar". */
  readonly databaseName?: string;
  /** Bump to generate new passwords for the three roles; they are rotated with ALTER ROLE. Default 1. */
  readonly passwordVersion?: number;
  /**
   * Most sessions each role may hold at once (the role's CONNECTION LIMIT; -1 for none). The app
   * role's must cover every app process's pool. Default: app 100, migrator 20, readonly 20.
   */
  readonly connectionLimits?: Partial<Record<RoleKey, number>>;
}

export type RoleKey = "migrator" | "app" | "readonly";

export const ROLE_NAMES: Record<RoleKey, string> = {
  migrator: "confradar_migrator",
  app: "confradar_app",
  readonly: "confradar_readonly",
};

const DEFAULT_CONNECTION_LIMITS: Record<RoleKey, number> = { migrator: 20, app: 100, readonly: 20 };

/** One value per role, typed, in one expression (no casts of Object.fromEntries). */
function perRole<T>(make: (key: RoleKey) => T): Record<RoleKey, T> {
  return { migrator: make("migrator"), app: make("app"), readonly: make("readonly") };
}

export interface RoleAccess {
  readonly name: string;
  readonly password: pulumi.Output<string>;
  /** postgres:// URL through the server's external endpoint (secret). */
  readonly url: pulumi.Output<string>;
  /** postgres:// URL through its internal endpoint, as the app containers connect (secret). */
  readonly internalUrl: pulumi.Output<string>;
}

export interface DatabaseRoleArgs {
  /** The role's name on the server. */
  readonly roleName: string;
  /** Its CONNECTION LIMIT: a whole number, -1 for none. */
  readonly connectionLimit: number;
  /** Bump to generate a new password (rotated with ALTER ROLE). */
  readonly passwordVersion: number;
  /** The postgresql provider that administers the server. */
  readonly provider: postgresql.Provider;
  /** Keep the role on `pulumi destroy`. */
  readonly retainOnDelete: boolean;
  /** What the role waits for before it is created (the takeover step, or the pre-flight check). */
  readonly after?: pulumi.Resource;
}

/** A login role and its generated password. */
export class DatabaseRole extends pulumi.ComponentResource {
  public readonly role: postgresql.Role;
  public readonly roleName: string;
  /** Secret. */
  public readonly password: pulumi.Output<string>;

  constructor(name: string, args: DatabaseRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:DatabaseRole", name, {}, opts);
    checkPresent("DatabaseRole", "roleName", args.roleName);
    checkWholeNumber("DatabaseRole", "connectionLimit", args.connectionLimit, -1);
    checkWholeNumber("DatabaseRole", "passwordVersion", args.passwordVersion, 1);
    // Before roles were components, their resources were the parent's own children: the alias
    // keeps them (and the passwords in use) instead of replacing them.
    const child = { parent: this, aliases: [{ parent: opts?.parent ?? pulumi.rootStackResource }] };
    const password = new random.RandomPassword(
      `${name}-password`,
      { length: 32, special: false, keepers: { version: String(args.passwordVersion) } },
      child,
    );
    this.role = new postgresql.Role(
      `${name}-role`,
      { name: args.roleName, login: true, password: password.result, connectionLimit: args.connectionLimit },
      {
        ...child,
        provider: args.provider,
        retainOnDelete: args.retainOnDelete,
        dependsOn: args.after ? [args.after] : [],
      },
    );
    this.roleName = args.roleName;
    this.password = pulumi.secret(password.result);
    this.registerOutputs({});
  }
}

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
  /** The login roles themselves, children of this component. */
  public readonly loginRoles: Record<RoleKey, DatabaseRole>;
  /** Every grant and default privilege, created one after another in this order. */
  public readonly grants: pulumi.CustomResource[] = [];

  constructor(name: string, args: DatabaseAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:DatabaseAccess", name, {}, opts);
    const databaseName = args.databaseName ?? "confradar";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseName))
      throw new Error(
        `DatabaseAccess: [databaseName] must be a lower-case SQL identifier (a-z, 0-9, _; 63 at most), got ${JSON.stringify(databaseName)}`,
      );
    if (args.dockerCluster && args.serverCheck)
      throw new Error(
        "DatabaseAccess: give either [dockerCluster] (the Docker server) or [serverCheck] (an existing server), not both",
      );
    const { external, internal, admin } = args.server;
    const tls = external.tls;

    // The Docker port is an output of the healthy container, and the resources below also wait for
    // the takeover step (Docker) or the pre-flight check (an existing server), so the provider
    // connects to nothing earlier.
    this.provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: external.host,
        port: external.port,
        username: admin.username,
        password: admin.password,
        database: admin.database,
        sslmode: tls.sslmode,
        ...(tls.sslrootcert ? { sslrootcert: tls.sslrootcert } : {}),
        superuser: admin.superuser,
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
        .output(admin.password)
        .apply((password) => createHash("sha256").update(`confradar-generation:${password}`).digest("hex").slice(0, 16));
      const clusterFacts = {
        containerName: cluster.containerName,
        generation,
        superuser: admin.username,
        databaseName,
        roleNames,
      };
      ready = new ServerTakeover(
        `${name}-server-takeover`,
        { ...clusterFacts, containerId: cluster.containerId, superuserPassword: admin.password },
        { parent: this },
      );
      afterDatabase = (database, roles) =>
        new KeptDatabaseReclaim(`${name}-kept-database-reclaim`, clusterFacts, {
          parent: this,
          dependsOn: [database, ...roles],
        });
    }

    const limits = { ...DEFAULT_CONNECTION_LIMITS, ...args.connectionLimits };
    this.loginRoles = perRole(
      (key) =>
        new DatabaseRole(
          `${name}-${key}`,
          {
            roleName: ROLE_NAMES[key],
            connectionLimit: limits[key],
            passwordVersion: args.passwordVersion ?? 1,
            provider: this.provider,
            retainOnDelete: args.retainOnDelete,
            ...(ready ? { after: ready } : {}),
          },
          { parent: this },
        ),
    );
    const roles = perRole((key) => this.loginRoles[key].role);

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
    if (!admin.superuser)
      grant("admin-connect", {
        database: this.database.name,
        role: admin.username,
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

    this.roles = perRole((key) => {
      const login = { user: ROLE_NAMES[key], password: this.loginRoles[key].password, database: this.database.name };
      return {
        name: ROLE_NAMES[key],
        password: this.loginRoles[key].password,
        url: connectionUrl(external, login),
        internalUrl: connectionUrl(internal, login),
      };
    });

    this.registerOutputs({ databaseName: this.databaseName });
  }
}
