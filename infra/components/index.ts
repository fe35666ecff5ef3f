export * from "./appService.js";
export * from "./databaseAccess.js";
export * from "./existingServer.js";
export * from "./migrations.js";
export * from "./pgAdmin.js";
export * from "./postgresServer.js";
export * from "./stackNetwork.js";
