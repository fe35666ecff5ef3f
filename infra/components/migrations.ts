import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { MIGRATIONS_SCHEMA } from "../../app/src/migrate/ledger.js";
import { readMigrationSet } from "../../app/src/migrate/files.js";
import path from "node:path";
import { MigrationStep } from "../providers/migrationStep.js";

export interface MigrationsArgs {
  /** Absolute path of the project; the step runs infra/steps/migrate.ts from there. */
  readonly projectDir: string;
  /** Absolute path of the migrations folder. */
  readonly migrationsDir: string;
  /** The migrator role's URL through 127.0.0.1 (secret). */
  readonly databaseUrl: pulumi.Input<string>;
  /** The server container's id: the step checks again when the server is replaced. */
  readonly serverInstance: pulumi.Input<string>;
  /**
   * Roles that may read the ledger (the app's /readyz compares it with its migration files). The
   * ledger lives in its own schema, outside the app role's row rights on `public`, so no role but
   * the migrator can write it. Granted through `provider` once the step has created the schema.
   */
  readonly ledgerReaders: {
    readonly provider: postgresql.Provider;
    readonly database: pulumi.Input<string>;
    readonly roles: readonly string[];
    /** Keep the grants in the cluster on destroy, as the database they live in. */
    readonly retainOnDelete: boolean;
  };
}

/**
 * The schema, as the post-provision step: applies migrations/ as the migrator role whenever the
 * migration files change, and does nothing otherwise. Give it `dependsOn` the database access
 * component: it runs once every role and grant exists.
 */
export class Migrations extends pulumi.ComponentResource {
  public readonly step: MigrationStep;
  /** Every migration applied in the database, in order. */
  public readonly applied: pulumi.Output<string[]>;
  public readonly serverVersion: pulumi.Output<string>;

  constructor(name: string, args: MigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:Migrations", name, {}, opts);
    for (const [argument, dir] of [
      ["projectDir", args.projectDir],
      ["migrationsDir", args.migrationsDir],
    ] as const)
      if (!path.isAbsolute(dir))
        throw new Error(`Migrations: [${argument}] must be an absolute path, got ${JSON.stringify(dir)}`);
    const files = readMigrationSet(args.migrationsDir);
    this.step = new MigrationStep(
      `${name}-step`,
      {
        projectDir: args.projectDir,
        migrationsDir: args.migrationsDir,
        migrationNames: files.names,
        migrationsHash: files.hash,
        databaseUrl: args.databaseUrl,
        serverInstance: args.serverInstance,
      },
      // The component's dependsOn already holds the step back (the SDK registers the component only
      // after what it depends on, and a child only after its parent); given to the step as well, the
      // dependency is recorded on the step itself in the state, where destroy's order reads it.
      { parent: this, dependsOn: opts?.dependsOn },
    );
    let previous: pulumi.Resource = this.step;
    for (const role of args.ledgerReaders.roles) {
      for (const [objectType, privileges] of [
        ["schema", ["USAGE"]],
        ["table", ["SELECT"]],
      ] as const) {
        previous = new postgresql.Grant(
          `${name}-ledger-${objectType}-${role}`,
          { database: args.ledgerReaders.database, role, schema: MIGRATIONS_SCHEMA, objectType, privileges: [...privileges] },
          {
            parent: this,
            provider: args.ledgerReaders.provider,
            retainOnDelete: args.ledgerReaders.retainOnDelete,
            // One grant at a time, as in DatabaseAccess (XX000 "tuple concurrently updated").
            dependsOn: [previous],
          },
        );
      }
    }
    this.applied = this.step.applied;
    this.serverVersion = this.step.serverVersion;
    this.registerOutputs({ applied: this.applied, serverVersion: this.serverVersion });
  }
}
