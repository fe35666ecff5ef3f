import * as pulumi from "@pulumi/pulumi";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { SslMode } from "../stackConfig/schema.js";
import { checkWholeNumber } from "./argumentChecks.js";
import { CONTAINER_ROOT_CERT_PATH, connectionUrl, type Endpoint, type ServerConnection } from "./connection.js";
import { ExistingServerCheck } from "../providers/existingServerCheck.js";

export interface ExistingServerArgs {
  /** Absolute path of the project: relative certificate paths start there, and the check runs from there. */
  readonly projectDir: string;
  /** The server's address as this machine reaches it (an RDS endpoint, a Cloud SQL IP, a host name). */
  readonly host: string;
  /** Default 5432. */
  readonly port?: number;
  /** The address the app containers use; default `host`. */
  readonly appHost?: string;
  /** A role with CREATEROLE and CREATEDB (serverAdmin.ts lists what it needs). */
  readonly adminUser: string;
  /** Secret. */
  readonly adminPassword: pulumi.Input<string>;
  /** The database the admin connects to for server-wide statements. Default "postgres". */
  readonly adminDatabase?: string;
  /** libpq's sslmode for every connection. Default verify-full. */
  readonly sslMode?: SslMode;
  /** PEM CA bundle that signed the server's certificate (path; relative to projectDir). Empty: the system's CAs. */
  readonly sslRootCert?: string;
  /** The stack's database and role names, which a new stack must not find on the server. */
  readonly databaseName: string;
  readonly roleNames: readonly string[];
}

/** A CA bundle given as a path: present, readable and PEM, or an error naming the setting. */
export function readRootCert(projectDir: string, file: string): { path: string; pem: string } {
  const absolute = path.resolve(projectDir, file);
  if (!existsSync(absolute))
    throw new Error(
      `confradar:existingServerSslRootCert = ${JSON.stringify(file)}: no such file (${absolute}). ` +
        `Download the provider's CA bundle (RDS: global-bundle.pem; Cloud SQL: server-ca.pem) and point the setting at it.`,
    );
  const pem = readFileSync(absolute, "utf8");
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    throw new Error(`confradar:existingServerSslRootCert = ${JSON.stringify(file)}: ${absolute} holds no PEM certificate`);
  return { path: absolute, pem };
}

/**
 * A PostgreSQL server the stack does not own: nothing about the server is created or destroyed.
 * This component holds its connection facts (TLS included) and the pre-flight check that the admin
 * role can set up the stack's database, roles and grants.
 */
export class ExistingServer extends pulumi.ComponentResource {
  public readonly host: string;
  public readonly port: number;
  /**
   * How the stack reaches the server and logs in as its admin: TLS as this machine connects (the
   * CA bundle at its path here) and as the app containers do (where the stack uploads it).
   */
  public readonly connection: ServerConnection;
  /** The CA bundle's text, uploaded into the app containers; undefined without one. */
  public readonly rootCertPem: string | undefined;
  public readonly check: ExistingServerCheck;
  public readonly serverVersion: pulumi.Output<string>;

  constructor(name: string, args: ExistingServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:ExistingServer", name, {}, opts);
    if (!args.host) throw new Error("ExistingServer: [host] is required (confradar:existingServerHost)");
    if (!args.adminUser) throw new Error("ExistingServer: [adminUser] is required (confradar:existingServerAdminUser)");
    checkWholeNumber("ExistingServer", "port", args.port ?? 5432, 1, 65535);
    const sslmode = args.sslMode ?? "verify-full";
    const rootCert = sslmode !== "disable" && args.sslRootCert ? readRootCert(args.projectDir, args.sslRootCert) : undefined;

    this.host = args.host;
    this.port = args.port ?? 5432;
    const external: Endpoint = {
      host: this.host,
      port: this.port,
      tls: { sslmode, ...(rootCert ? { sslrootcert: rootCert.path } : {}) },
    };
    const admin = {
      username: args.adminUser,
      password: pulumi.secret(args.adminPassword),
      database: args.adminDatabase ?? "postgres",
      // Managed servers have no real superuser: the provider works as the official one with
      // `superuser: false` (temporary memberships instead of superuser rights).
      superuser: false,
    };
    this.connection = {
      external,
      internal: {
        host: args.appHost || args.host,
        port: this.port,
        tls: { sslmode, ...(rootCert ? { sslrootcert: CONTAINER_ROOT_CERT_PATH } : {}) },
      },
      admin,
    };
    this.rootCertPem = rootCert?.pem;

    const adminUrl = connectionUrl(external, { user: admin.username, password: admin.password, database: admin.database });
    this.check = new ExistingServerCheck(
      `${name}-check`,
      { projectDir: args.projectDir, adminUrl, databaseName: args.databaseName, roleNames: [...args.roleNames] },
      { parent: this },
    );
    this.serverVersion = this.check.serverVersion;
    this.registerOutputs({ serverVersion: this.serverVersion });
  }
}
