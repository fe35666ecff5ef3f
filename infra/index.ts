import "../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AppService, DatabaseAccess, Migrations, PgAdmin, PostgresServer } from "./components/index.js";
import { dockerApiVersion, supportsHealthStartInterval } from "./dockerEngine.js";
import { postgresUrl } from "./naming.js";
import { loadStackConfig } from "./stackConfig.js";

// Reads config, wires the components, exports outputs. Nothing else lives here.
const config = loadStackConfig();
const stack = pulumi.getStack();
const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const health = {
  intervalSeconds: config.healthIntervalSeconds,
  timeoutSeconds: config.healthTimeoutSeconds,
  retries: config.healthRetries,
  startPeriodSeconds: config.healthStartPeriodSeconds,
  ...(supportsHealthStartInterval(dockerApiVersion()) ? { startIntervalSeconds: config.healthStartIntervalSeconds } : {}),
};

const superuserPassword = new random.RandomPassword("postgres-superuser-password", { length: 32, special: false });

const server = new PostgresServer("postgres", {
  stack,
  image: config.postgresImage,
  majorVersion: config.postgresMajorVersion,
  hostPort: config.postgresPort,
  superuserPassword: superuserPassword.result,
  stopGraceSeconds: config.stopGraceSeconds,
  health,
  waitTimeoutSeconds: config.waitTimeoutSeconds,
  retainVolume: config.retainVolume,
});

const access = new DatabaseAccess("database", {
  host: server.host,
  port: server.hostPort,
  internalHost: server.internalHost,
  internalPort: server.internalPort,
  superuser: server.superuser,
  superuserPassword: superuserPassword.result,
  container: { name: server.containerName, id: server.container.id },
  retainOnDelete: config.retainVolume,
  databaseName: config.databaseName,
  passwordVersion: config.passwordVersion,
});

const migrations = new Migrations(
  "schema",
  {
    projectDir,
    migrationsDir: path.join(projectDir, "migrations"),
    databaseUrl: access.roles.migrator.url,
    serverInstance: server.container.id,
    ledgerReaders: {
      provider: access.provider,
      database: access.databaseName,
      roles: [access.roles.app.name],
      retainOnDelete: config.retainVolume,
    },
  },
  // After every role and grant exists.
  { dependsOn: [access] },
);

const app = new AppService("app", {
  stack,
  contextDir: projectDir,
  nodeImage: config.appNodeImage,
  networkName: server.networkName,
  databaseUrl: access.roles.app.internalUrl,
  hostPort: config.appPort,
  poolMax: config.appPoolMax,
  poolIdleTimeoutMs: config.appPoolIdleTimeoutMs,
  ingestIntervalSeconds: config.ingestIntervalSeconds,
  health,
  waitTimeoutSeconds: config.waitTimeoutSeconds,
  migrations,
});

const pgadmin = config.pgadminEnabled
  ? new PgAdmin("pgadmin", {
      stack,
      image: config.pgadminImage,
      hostPort: config.pgadminPort,
      email: config.pgadminEmail,
      networkName: server.networkName,
      server: {
        host: server.internalHost,
        port: server.internalPort,
        database: access.databaseName,
        username: access.roles.migrator.name,
        password: access.roles.migrator.password,
      },
      health,
      waitTimeoutSeconds: config.waitTimeoutSeconds,
    })
  : undefined;

export const postgresHost = server.host;
export const postgresPort = server.hostPort;
export const databaseName = access.databaseName;
export const volumeName = server.volumeName;
export const networkName = server.networkName;
export const serverVersion = migrations.serverVersion;
export const appliedMigrations = migrations.applied;
export const migratorConnectionString = access.roles.migrator.url;
export const appConnectionString = access.roles.app.url;
export const readonlyConnectionString = access.roles.readonly.url;
export const superuserConnectionString = pulumi.secret(
  pulumi
    .all([server.host, server.hostPort, superuserPassword.result])
    .apply(([host, port, password]) => postgresUrl({ user: server.superuser, password, host, port, database: "postgres" })),
);
export const appPort = app.hostPort;
export const appUrl = app.url;
export const pgadminUrl = pgadmin?.url;
export const pgadminEmail = pgadmin?.email;
export const pgadminPassword = pgadmin?.password;
