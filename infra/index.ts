import "../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import {
  AppService,
  DatabaseAccess,
  ExistingServer,
  Migrations,
  PgAdmin,
  PostgresServer,
  ROLE_NAMES,
  StackNetwork,
} from "./components/index.js";
import { dockerApiVersion, dockerEnginePlatform, supportsHealthStartInterval } from "./dockerEngine.js";
import { checkFixedPortsFree } from "./hostPorts.js";
import { loadStackConfig } from "./stackConfig/load.js";
import { repoRoot } from "../app/src/paths.js";

// Reads config, wires the components, exports outputs. Nothing else lives here.
const config = loadStackConfig();
const stack = pulumi.getStack();
checkFixedPortsFree(config, stack);
const projectDir = repoRoot;
const health = {
  intervalSeconds: config.healthIntervalSeconds,
  timeoutSeconds: config.healthTimeoutSeconds,
  retries: config.healthRetries,
  startPeriodSeconds: config.healthStartPeriodSeconds,
  ...(supportsHealthStartInterval(dockerApiVersion()) ? { startIntervalSeconds: config.healthStartIntervalSeconds } : {}),
};

// Images are built for the engine's platform, not this machine's: they differ under Rosetta or
// with a remote DOCKER_HOST. Unknown without an engine (under mocks): the component's default.
const enginePlatform = dockerEnginePlatform();

// Where PostgreSQL comes from: a container the stack runs (and its volume), or a server that already
// exists, of which the stack owns only the database, the roles and the grants.
const dockerSource = config.postgresSource === "docker";

const server = dockerSource
  ? new PostgresServer("postgres", {
      stack,
      image: config.postgresImage,
      majorVersion: config.postgresMajorVersion,
      hostPort: config.postgresPort,
      stopGraceSeconds: config.stopGraceSeconds,
      health,
      waitTimeoutSeconds: config.waitTimeoutSeconds,
      retainVolume: config.retainVolume,
    })
  : undefined;

const existing = dockerSource
  ? undefined
  : new ExistingServer("existing-postgres", {
      projectDir,
      host: config.existingServerHost,
      port: config.existingServerPort,
      appHost: config.existingServerAppHost,
      adminUser: config.existingServerAdminUser,
      adminPassword: pulumi.secret(config.existingServerAdminPassword),
      adminDatabase: config.existingServerAdminDatabase,
      sslMode: config.existingServerSslMode,
      sslRootCert: config.existingServerSslRootCert,
      databaseName: config.databaseName,
      roleNames: Object.values(ROLE_NAMES),
    });

// The app's network: the Docker server's, or the stack's own beside an existing server.
const stackNetwork = server ? undefined : new StackNetwork("stack", { stack });
const appNetworkName = server ? server.networkName : stackNetwork!.name;

// Keep the database on destroy: with the kept dev volume, and on an existing server unless asked.
const retainDatabase = server ? config.retainVolume : config.retainDatabase;

const access = new DatabaseAccess("database", {
  server: server ? server.connection : existing!.connection,
  ...(server
    ? { dockerCluster: { containerName: server.containerName, containerId: server.container.id } }
    : { serverCheck: existing!.check }),
  retainOnDelete: retainDatabase,
  databaseName: config.databaseName,
  passwordVersion: config.passwordVersion,
});

const migrations = new Migrations(
  "schema",
  {
    projectDir,
    migrationsDir: path.join(projectDir, "migrations"),
    databaseUrl: access.roles.migrator.url,
    serverInstance: server ? server.container.id : `${existing!.host}:${existing!.port}`,
    ledgerReaders: {
      provider: access.provider,
      database: access.databaseName,
      roles: [access.roles.app.name],
      retainOnDelete: retainDatabase,
    },
  },
  // After every role and grant exists.
  { dependsOn: [access] },
);

const app = config.appEnabled
  ? new AppService("app", {
      stack,
      contextDir: projectDir,
      nodeImage: config.appNodeImage,
      networkName: appNetworkName,
      ...(existing?.rootCertPem ? { databaseRootCertPem: existing.rootCertPem } : {}),
      databaseUrl: access.roles.app.internalUrl,
      hostPort: config.appPort,
      poolMax: config.appPoolMax,
      poolIdleTimeoutMs: config.appPoolIdleTimeoutMs,
      ingestIntervalSeconds: config.ingestIntervalSeconds,
      health,
      waitTimeoutSeconds: config.waitTimeoutSeconds,
      ...(enginePlatform ? { platform: enginePlatform } : {}),
      migrations,
    })
  : undefined;

const pgadmin =
  config.pgadminEnabled && server
    ? new PgAdmin("pgadmin", {
        stack,
        image: config.pgadminImage,
        hostPort: config.pgadminPort,
        email: config.pgadminEmail,
        networkName: server.networkName,
        server: {
          host: server.connection.internal.host,
          port: server.connection.internal.port,
          database: access.databaseName,
          username: access.roles.migrator.name,
          password: access.roles.migrator.password,
        },
        health,
        waitTimeoutSeconds: config.waitTimeoutSeconds,
      })
    : undefined;

export const postgresSource = config.postgresSource;
export const postgresHost = server ? server.host : existing!.host;
export const postgresPort = server ? server.hostPort : existing!.port;
export const databaseName = access.databaseName;
export const volumeName = server?.volumeName;
export const networkName = appNetworkName;
export const serverVersion = migrations.serverVersion;
export const appliedMigrations = migrations.applied;
export const migratorConnectionString = access.roles.migrator.url;
export const appConnectionString = access.roles.app.url;
export const readonlyConnectionString = access.roles.readonly.url;
/** The app role's URL as the app containers use it (an existing server: its app host and the uploaded CA). */
export const appInternalConnectionString = existing ? access.roles.app.internalUrl : undefined;
export const superuserConnectionString = server?.superuserUrl;
export const appPort = app?.hostPort;
export const appUrl = app?.url;
export const pgadminUrl = pgadmin?.url;
export const pgadminEmail = pgadmin?.email;
export const pgadminPassword = pgadmin?.password;
