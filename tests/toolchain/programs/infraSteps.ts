/**
 * A Pulumi program for tests/toolchain/infra-steps.test.ts: the project's own dynamic providers
 * (the migration step and the data-volume guard), run by the real engine through the language host.
 * The test points a throwaway project's `main` here and chooses the part with `mode`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Migrations } from "../../../infra/components/migrations.js";
import { DataVolumeGuard } from "../../../infra/providers/dataVolumeGuard.js";

const config = new pulumi.Config();
const mode = config.require("mode");

const migrations =
  mode === "migrations"
    ? new Migrations("schema", {
        projectDir: config.require("projectDir"),
        migrationsDir: config.require("migrationsDir"),
        databaseUrl: config.requireSecret("databaseUrl"),
        ready: config.require("serverInstance"),
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
