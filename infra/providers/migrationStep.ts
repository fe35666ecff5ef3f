import * as pulumi from "@pulumi/pulumi";

/**
 * The post-provision migration step as a Pulumi dynamic provider.
 *
 * Why a dynamic provider: the Docker provider cannot wait for a one-shot container to exit, and a
 * command resource runs only on create or input change with no view of what is pending
 * (pulumi-command#751). Here `check` works out which migration files are new since the last
 * successful run (so `pulumi preview` shows them as `pending`), `diff` asks for an update exactly
 * when the files' content hash or the server changes, and `create`/`update` run the project's one
 * migration module (app/src/migrate) in a child process as the migrator role. A failing migration
 * rolls back inside that module and fails the step with its error; the state keeps the last good
 * inputs, so the next `up` tries again.
 *
 * The functions below are serialized into the Pulumi state and run in the dynamic provider host:
 * they must capture nothing but plain values, and reach Node built-ins through
 * process.getBuiltinModule (no imports, which ESM closures cannot carry).
 */

export interface MigrationStepInputs {
  /** Absolute path of the project (where node_modules and infra/steps live). */
  projectDir: string;
  /** Absolute path of the migrations folder. */
  migrationsDir: string;
  /** Migration names (file names without extension), in order. */
  migrationNames: string[];
  /** sha256 over every migration file's name and content. */
  migrationsHash: string;
  /** Connection string of the migrator role (secret). */
  databaseUrl: string;
  /** Changes when the server is replaced; the step then re-checks (usually a no-op). */
  serverInstance: string;
  /** Set by `check`: migrations new since the last successful run. Shown by `pulumi preview`. */
  pending?: string[];
}

export interface MigrationStepOutputs extends MigrationStepInputs {
  /** Every migration applied in the database after the step, in order. */
  applied: string[];
  /** Migrations this run applied. */
  ran: string[];
  /** `SHOW server_version` of the server. */
  serverVersion: string;
}

interface StepResult {
  ran: string[];
  applied: string[];
  pending: string[];
  serverVersion: string;
}

async function runMigrationStep(inputs: MigrationStepInputs): Promise<StepResult> {
  const childProcess = process.getBuiltinModule("node:child_process");
  const path = process.getBuiltinModule("node:path");
  const script = path.join(inputs.projectDir, "infra", "steps", "migrate.ts");
  return await new Promise<StepResult>((resolve, reject) => {
    const child = childProcess.spawn(process.execPath, ["--import", "tsx", script, "apply"], {
      cwd: inputs.projectDir,
      env: { ...process.env, DATABASE_URL: inputs.databaseUrl, MIGRATIONS_DIR: inputs.migrationsDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code: number | null) => {
      if (code !== 0) {
        const detail = stderr.trim().split("\n").slice(-25).join("\n");
        reject(new Error(`migrations failed (exit ${code}); the database is left as it was before this run:\n${detail}`));
        return;
      }
      const lastLine = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(lastLine) as StepResult);
      } catch {
        reject(new Error(`migration step printed no result line; stdout was:\n${stdout.slice(-2000)}`));
      }
    });
  });
}

export const migrationStepProvider: pulumi.dynamic.ResourceProvider<MigrationStepInputs, MigrationStepOutputs> = {
  async check(olds, news) {
    const before = new Set(olds?.migrationNames ?? []);
    const pending = news.migrationNames.filter((name) => !before.has(name));
    return { inputs: { ...news, pending } };
  },

  async diff(_id, olds, news) {
    const changed =
      olds.migrationsHash !== news.migrationsHash ||
      olds.serverInstance !== news.serverInstance ||
      olds.databaseUrl !== news.databaseUrl;
    return { changes: changed };
  },

  async create(inputs) {
    const result = await runMigrationStep(inputs);
    return {
      id: `migrations-${inputs.migrationsHash.slice(0, 12)}`,
      outs: { ...inputs, pending: result.pending, applied: result.applied, ran: result.ran, serverVersion: result.serverVersion },
    };
  },

  async update(_id, _olds, news) {
    const result = await runMigrationStep(news);
    return {
      outs: { ...news, pending: result.pending, applied: result.applied, ran: result.ran, serverVersion: result.serverVersion },
    };
  },

  // Deleting the step leaves the schema alone: the database (or its volume) owns the data.
  async delete() {},
};

export type MigrationStepArgs = {
  [K in keyof Omit<MigrationStepInputs, "pending">]: pulumi.Input<MigrationStepInputs[K]>;
};

export class MigrationStep extends pulumi.dynamic.Resource {
  declare readonly applied: pulumi.Output<string[]>;
  declare readonly ran: pulumi.Output<string[]>;
  declare readonly pending: pulumi.Output<string[]>;
  declare readonly serverVersion: pulumi.Output<string>;

  constructor(name: string, args: MigrationStepArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      migrationStepProvider,
      name,
      { applied: undefined, ran: undefined, serverVersion: undefined, ...args },
      { ...opts, additionalSecretOutputs: ["databaseUrl"] },
      "confradar",
      "MigrationStep",
    );
  }
}
