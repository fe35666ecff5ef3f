import type { PluginDefinition } from "../core/server.js";
import { sdkPluginVersion } from "../core/versions.js";
import { databaseHandler } from "./database.js";
import { defaultPrivilegesHandler } from "./defaultPrivileges.js";
import { grantHandler } from "./grant.js";
import { roleHandler } from "./role.js";
import { CONFIG_KEYS, postgresConfig, PostgresSession, validatePostgresConfig } from "./session.js";

/** The offline `postgresql` plugin: Role, Database, Grant and DefaultPrivileges through `pg`. */
export const postgresqlPlugin: PluginDefinition<PostgresSession> = {
  name: "postgresql",
  version: sdkPluginVersion("postgresql"),
  configKeys: CONFIG_KEYS,
  secretConfigKeys: ["password"],
  validateConfig: validatePostgresConfig,
  configure: (config) => new PostgresSession(postgresConfig(config), config),
  resources: [roleHandler, databaseHandler, grantHandler, defaultPrivilegesHandler],
};
