/**
 * A Pulumi program for tests/toolchain/infra-steps.test.ts: the project's own dynamic providers
 * (the migration step and the data-volume guard), run by the real engine through the language host.
 * The test points a throwaway project's `main` here and chooses the part with `mode`.
 */
import * as pulumi from "@pulumi/pulumi";
import { readMigrationSet } from "../../../app/src/migrate/files.js";
import { DataVolumeGuard } from "../../../infra/providers/dataVolumeGuard.js";
import { MigrationStep } from "../../../infra/providers/migrationStep.js";

const config = new pulumi.Config();
const mode = config.require("mode");

// The step alone: the Migrations component adds the ledger's grants, which need the stack's roles.
const migrationsDir = config.get("migrationsDir");
const files = migrationsDir ? readMigrationSet(migrationsDir) : undefined;
const migrations =
  mode === "migrations" && migrationsDir && files
    ? new MigrationStep("schema-step", {
        projectDir: config.require("projectDir"),
        migrationsDir,
        migrationNames: files.names,
        migrationsHash: files.hash,
        databaseUrl: config.requireSecret("databaseUrl"),
        serverInstance: config.require("serverInstance"),
      })
    : undefined;

const guard =
  mode === "guard"
    ? new DataVolumeGuard("volume-guard", {
        volumeName: config.require("volumeName"),
        image: config.require("image"),
        majorVersion: config.requireNumber("majorVersion"),
      })
    : undefined;

export const applied = migrations?.applied;
export const serverVersion = migrations?.serverVersion;
export const foundMajorVersion = guard?.foundMajorVersion;
