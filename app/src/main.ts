import "./check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { redact } from "./redact.js";

const USAGE = `Usage: main <role> [args]
  api                   HTTP API and page on PORT (default 3000)          npm run app
  worker                scheduled ingest (INGEST_INTERVAL_SECONDS) + heartbeat   npm run worker
  ingest                one ingest run now; exit 0 ok, 1 failed, 2 busy (another run, or the embedded store in use)   npm run ingest
  migrate <up|down|status|create> [args]   the migration CLI (app/src/migrate/cli)
  healthcheck [api|worker]   the container health check
Configuration comes from the environment: see .env.example.`;

/**
 * Runs the migration CLI as if it had been started directly: it sees its own path in argv[1]
 * and the subcommand after it, so its "am I the entry point" check and its argument parsing work
 * unchanged. The .ts/.js extension follows this file's (tsx from source, node in the image).
 */
async function runMigrateCli(args: string[]): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const cli = self.replace(/main\.([cm]?[jt]s)$/, "migrate/cli.$1");
  process.argv = [process.argv[0]!, cli, ...args];
  await import(pathToFileURL(cli).href);
}

const PLAIN_ERRORS = new Set([
  "ConfigError",
  "DatabaseUnavailableError",
  "EmbeddedStoreBusyError",
  "EmbeddedStoreUnopenableError",
  "NotAStoreFolderError",
  "DatasetError",
]);

async function main(argv: string[]): Promise<number | undefined> {
  const [role = "api", ...rest] = argv;
  switch (role) {
    case "api":
      await (await import("./server.js")).runApi();
      return undefined; // keeps running until a signal
    case "worker":
      await (await import("./worker/main.js")).runWorker();
      return undefined;
    case "ingest":
      return (await import("./worker/main.js")).runIngestOnce();
    case "migrate":
      await runMigrateCli(rest);
      return undefined; // the CLI sets its own exit code
    case "healthcheck":
      return (await import("./healthcheck.js")).healthcheckMain(rest);
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown role "${role}".\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    // These are already written for a person: no stack trace. Matched by name so that this entry
    // does not load the modules (pg, PGlite, fastify) a role may not need.
    // Either way through redact: a message or a stack can quote a connection string.
    if (err instanceof Error && PLAIN_ERRORS.has(err.name)) console.error(redact(err.message));
    else console.error(redact(inspect(err)));
    process.exit(1);
  },
);
