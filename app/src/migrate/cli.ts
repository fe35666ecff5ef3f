/**
 * confradar migrations CLI: `up [N]`, `down [N]`, `status [--json]`, `create NAME`.
 * DATABASE_URL selects the database (unset = the embedded PGlite default). Logs go to stderr;
 * `status --json` prints exactly one JSON object {"applied":[...],"pending":[...]} on stdout.
 * Run from source: `node --import tsx app/src/migrate/cli.ts up`; from the image: `node .../cli.js up`.
 */
import "../check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { pathToFileURL } from "node:url";
import { Migration } from "node-pg-migrate";
import { redact } from "../redact.js";
import { parseDatabaseUrl } from "../store/index.js";
import { defaultMigrationsDir, migrationStatus, runMigrations, type MigrateLogger } from "./index.js";

const usage = `usage: migrate <command>
  up [N]          apply all pending migrations (or the next N)
  down [N]        revert the last applied migration (or the last N)
  status [--json] list applied and pending migrations
  create NAME     add migrations/<utc-stamp>_NAME.ts from the template
env: DATABASE_URL (unset = embedded PGlite in .pglite/confradar), MIGRATIONS_DIR,
     MIGRATE_LOCK_WAIT_TIMEOUT_MS, MIGRATE_LOCK_TIMEOUT_MS, MIGRATE_STATEMENT_TIMEOUT_MS`;

class UsageError extends Error {}

function parseCount(arg: string | undefined): number | undefined {
  if (arg === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(arg)) throw new UsageError(`N must be a whole number >= 1, got '${arg}'`);
  return Number(arg);
}

function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${name} must be a whole number of milliseconds, got '${raw}'`);
  return Number(raw);
}

function describeTarget(url: string | undefined): string {
  const target = parseDatabaseUrl(url);
  if (target.kind === "postgres") return `PostgreSQL server at ${redact(target.url)}`;
  return target.dataDir === null ? "embedded PGlite in memory" : `embedded PGlite in ${target.dataDir}`;
}

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (text: string) => void = (text) => process.stdout.write(text),
  err: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const logger: MigrateLogger = {
    info: (msg) => err(`${msg}\n`),
    warn: (msg) => err(`warning: ${msg}\n`),
    error: (msg) => err(`error: ${msg}\n`),
  };
  const [command, ...rest] = argv;
  try {
    const databaseUrl = env.DATABASE_URL ?? "";
    const migrationsDir = env.MIGRATIONS_DIR || defaultMigrationsDir;
    switch (command) {
      case "up":
      case "down": {
        if (rest.length > 1) throw new UsageError(`${command} takes at most one argument (N)`);
        err(`migrate ${command}: ${describeTarget(databaseUrl)}, migrations in ${migrationsDir}\n`);
        const count = parseCount(rest[0]);
        const { ran } = await runMigrations({
          databaseUrl,
          direction: command,
          migrationsDir,
          logger,
          ...(count !== undefined ? { count } : {}),
          lockWaitTimeoutMs: envMs(env, "MIGRATE_LOCK_WAIT_TIMEOUT_MS"),
          lockTimeoutMs: envMs(env, "MIGRATE_LOCK_TIMEOUT_MS"),
          statementTimeoutMs: envMs(env, "MIGRATE_STATEMENT_TIMEOUT_MS"),
        });
        err(
          ran.length === 0
            ? "nothing to do\n"
            : `${command === "up" ? "applied" : "reverted"} ${ran.length}: ${ran.join(", ")}\n`,
        );
        return 0;
      }
      case "status": {
        const json = rest.includes("--json");
        const unknown = rest.filter((a) => a !== "--json");
        if (unknown.length > 0) throw new UsageError(`status: unknown argument '${unknown[0]}'`);
        if (!json) err(`migrate status: ${describeTarget(databaseUrl)}\n`);
        const status = await migrationStatus({ databaseUrl, migrationsDir });
        if (json) {
          out(`${JSON.stringify({ applied: status.applied, pending: status.pending })}\n`);
        } else {
          for (const name of status.applied) out(`applied  ${name}\n`);
          for (const name of status.pending) out(`pending  ${name}\n`);
          out(`${status.applied.length} applied, ${status.pending.length} pending\n`);
        }
        return 0;
      }
      case "create": {
        const name = rest[0];
        if (!name || rest.length > 1 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
          throw new UsageError("create takes one NAME in kebab-case, e.g. create add-conference-notes");
        }
        const file = await Migration.create(name, migrationsDir, { filenameFormat: "utc", language: "ts" });
        out(`${file}\n`);
        return 0;
      }
      default:
        throw new UsageError(command ? `unknown command '${command}'` : "no command given");
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${error.message}\n${usage}\n`);
      return 2;
    }
    const e = error as Error;
    err(`migrate ${command} failed: ${redact(e.message)}\n`);
    if (e.cause instanceof Error && !e.message.includes(e.cause.message)) err(`  cause: ${redact(e.cause.message)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
