/**
 * The migration step the Pulumi program runs (see infra/providers/migrationStep.ts).
 * It delegates to the project's one migration module and prints one JSON result line on stdout;
 * everything else goes to stderr, so the provider can show it when a migration fails.
 *
 *   DATABASE_URL=postgres://migrator@... MIGRATIONS_DIR=... node --import tsx infra/steps/migrate.ts apply
 */
import pg from "pg";
import { migrationStatus, runMigrations } from "../../app/src/migrate/index.js";

async function serverVersion(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
    return rows[0]?.server_version ?? "unknown";
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const databaseUrl = process.env.DATABASE_URL;
  const migrationsDir = process.env.MIGRATIONS_DIR;
  if (mode !== "apply" && mode !== "status") throw new Error(`usage: migrate.ts apply|status (got ${mode ?? "nothing"})`);
  if (!databaseUrl) throw new Error("DATABASE_URL is not set: the step needs the migrator role's connection string");
  const logger = {
    info: (m: string) => process.stderr.write(`${m}\n`),
    warn: (m: string) => process.stderr.write(`warning: ${m}\n`),
    error: (m: string) => process.stderr.write(`error: ${m}\n`),
  };
  const ran =
    mode === "apply"
      ? (await runMigrations({ databaseUrl, direction: "up", ...(migrationsDir ? { migrationsDir } : {}), logger })).ran
      : [];
  const status = await migrationStatus({ databaseUrl, ...(migrationsDir ? { migrationsDir } : {}) });
  const result = { ran, applied: status.applied, pending: status.pending, serverVersion: await serverVersion(databaseUrl) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
