import * as pulumi from "@pulumi/pulumi";
import { readMigrationFiles } from "../migrationFiles.js";
import { MigrationStep } from "../providers/migrationRunner.js";

export interface MigrationsArgs {
  /** Absolute path of the project; the step runs infra/steps/migrate.ts from there. */
  readonly projectDir: string;
  /** Absolute path of the migrations folder. */
  readonly migrationsDir: string;
  /** The migrator role's URL through 127.0.0.1 (secret). */
  readonly databaseUrl: pulumi.Input<string>;
  /** Resolves once the roles and grants exist; changes when the server is replaced. */
  readonly ready: pulumi.Input<string>;
}

/**
 * The schema, as the post-provision step: applies migrations/ as the migrator role whenever the
 * migration files change, and does nothing otherwise.
 */
export class Migrations extends pulumi.ComponentResource {
  public readonly step: MigrationStep;
  /** Every migration applied in the database, in order. */
  public readonly applied: pulumi.Output<string[]>;
  /** Migrations found in the folder (known at preview time). */
  public readonly files: string[];
  public readonly serverVersion: pulumi.Output<string>;

  constructor(name: string, args: MigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:Migrations", name, {}, opts);
    const files = readMigrationFiles(args.migrationsDir);
    this.files = files.names;
    this.step = new MigrationStep(
      `${name}-step`,
      {
        projectDir: args.projectDir,
        migrationsDir: args.migrationsDir,
        migrationNames: files.names,
        migrationsHash: files.hash,
        databaseUrl: args.databaseUrl,
        serverInstance: args.ready,
      },
      { parent: this },
    );
    this.applied = this.step.applied;
    this.serverVersion = this.step.serverVersion;
    this.registerOutputs({ applied: this.applied, serverVersion: this.serverVersion });
  }
}
