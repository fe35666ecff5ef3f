/**
 * Day-to-day commands for a stack (npm run up / preview / refresh / destroy / outputs / db:*).
 *
 *   tsx scripts/stack/cli.ts COMMAND [--stack dev|ci] [options]
 *
 * Every command checks Docker and the stack first and says what to do when either is missing.
 */
import "../../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { migrationStatus, runMigrations } from "../../app/src/migrate/index.js";
import { ensureCli, ensureEngine, ensureImages, SetupError } from "../setup/setup.js";
import { readLocalImages } from "./images.js";
import { planPendingCreates, resourcesReadThroughServer, strayObjects } from "./pendingCreates.js";
import { toShellExports } from "./shellExports.js";
import {
  checkStackFileConfig,
  configFileFor,
  dockerVolumeExists,
  dockerVersion,
  choosePlugins,
  isStack,
  imageMode,
  exportedState,
  labelledDockerObjects,
  pulumi,
  repoRoot,
  selectStack,
  stackExists,
  stackImages,
  STACKS,
  stackOutputs,
  UserError,
  usesExistingServer,
} from "./stack.js";

const ROLES = ["migrator", "app", "readonly", "superuser"] as const;
type Role = (typeof ROLES)[number];

const USAGE = `usage: tsx scripts/stack/cli.ts COMMAND [--stack dev|ci|staging|NAME with a Pulumi.NAME.yaml]
  up [--expect-no-changes] [--event-log FILE]   bring the stack up (or up to date); FILE gets
                        Pulumi's engine events, one JSON object a line, with timestamps
  preview [--expect-no-changes]   show what \`up\` would change, including pending migrations
  refresh               compare the state with what runs in Docker
  destroy [--wipe-volume] [--event-log FILE]  take the stack down; --wipe-volume also removes a retained data volume
  outputs [--shell] [--show-secrets]   print the outputs (as JSON, or as export lines); secrets only with --show-secrets
  db:psql [--role migrator|app|readonly|superuser]   psql inside the server container
  db:backup [--file PATH]   pg_dump (custom format) to backups/STACK-TIMESTAMP.dump
  db:restore --file PATH    restore a dump made by db:backup (replaces the schema's contents)
  db:reset               migrate down to zero and up again (all rows are lost)`;

async function pulumiOrFail(args: string[], stack: string, withConfig = true): Promise<void> {
  const configFile = withConfig ? configFileFor(stack, imageMode(stack)) : undefined;
  const { code } = await pulumi(args, { stack, ...(configFile ? { configFile } : {}) });
  if (code !== 0) throw new UserError(`pulumi ${args[0]} failed for the ${stack} stack (its message is above).`);
}

async function connection(stack: string, role: Role): Promise<{ url: URL; container: string }> {
  const outputs = await stackOutputs(stack, true);
  const key = role === "superuser" ? "superuserConnectionString" : `${role}ConnectionString`;
  const value = outputs[key];
  if (typeof value !== "string") throw new UserError(`The ${stack} stack has no ${key} output: run \`npm run up\` first.`);
  // The server container is found by its labels, as the stack made it: an existing server has none.
  const [server] = labelledDockerObjects("container", stack, { role: "postgres" });
  if (!server)
    throw new UserError(
      `The ${stack} stack runs no PostgreSQL container (an existing server, or not up): connect with its ${key} output instead.`,
    );
  return { url: new URL(value), container: server.name };
}

/**
 * `docker exec` arguments that run a client tool inside the server container as the URL's role.
 * The password travels in the environment (`-e PGPASSWORD` copies ours), never on a command line.
 */
function execInServer(c: { url: URL; container: string }, tool: string[], tty: boolean) {
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(c.url.password) };
  const user = decodeURIComponent(c.url.username);
  const database = c.url.pathname.slice(1);
  return {
    args: ["exec", tty ? "-it" : "-i", "-e", "PGPASSWORD", c.container, ...tool, "-h", "127.0.0.1", "-U", user, "-d", database],
    env,
  };
}

async function dockerExitCode(child: ChildProcess): Promise<number> {
  return await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      stack: { type: "string", default: "dev" },
      shell: { type: "boolean", default: false },
      "show-secrets": { type: "boolean", default: false },
      "wipe-volume": { type: "boolean", default: false },
      "expect-no-changes": { type: "boolean", default: false },
      role: { type: "string", default: "migrator" },
      file: { type: "string" },
      "event-log": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const stack = values.stack!;
  if (!isStack(stack))
    throw new UserError(
      `--stack ${stack} is not a stack here: use ${STACKS.join(", ")}, or add a Pulumi.${stack}.yaml (lower-case letters, digits, -).`,
    );
  const existingServer = usesExistingServer(stack);
  const role = values.role as Role;
  if (!ROLES.includes(role)) throw new UserError(`--role ${role} is not a role: use ${ROLES.join(", ")}.`);

  if (!["up", "preview", "refresh", "destroy", "outputs", "db:psql", "db:backup", "db:restore", "db:reset"].includes(command))
    throw new UserError(`Unknown command "${command}".\n${USAGE}`);
  if (existingServer && ["db:psql", "db:backup", "db:restore"].includes(command))
    throw new UserError(
      `${command} runs its tool inside the stack's PostgreSQL container, and the ${stack} stack uses an existing server. ` +
        `Use your own psql / pg_dump with a connection string from \`npm run outputs -- --stack ${stack} --show-secrets\` ` +
        `(docs/configuration.md, "An existing PostgreSQL server").`,
    );
  if (existingServer && command === "destroy" && values["wipe-volume"])
    throw new UserError(
      `The ${stack} stack uses an existing server: there is no data volume to wipe. \`destroy\` keeps the database ` +
        `and its roles unless confradar:retainDatabase is false (set it, run \`up\`, then \`destroy\`).`,
    );
  if (command === "up" || command === "preview") checkStackFileConfig(stack);
  // The first command on a fresh machine sets up what it needs (scripts/setup/setup.ts).
  try {
    await ensureEngine();
    await ensureCli();
    if (command === "up") {
      const local = readLocalImages(repoRoot);
      await ensureImages(stackImages(stack), [local.postgres, local.node, local.pgadmin]);
    }
  } catch (error) {
    if (error instanceof SetupError) throw new UserError(error.message);
    throw error;
  }
  dockerVersion();
  if (["up", "preview", "refresh", "destroy"].includes(command)) console.error((await choosePlugins(stack)).message);
  if (command === "up" || command === "preview") await selectStack(stack);
  else if (await stackExists(stack)) await selectStack(stack);
  else
    throw new UserError(
      `The ${stack} stack has never been brought up here: run \`npm run up${stack === "dev" ? "" : ` -- --stack ${stack}`}\` first.`,
    );

  // Where the time of an up or destroy goes (bench/stack-timeline.ts reads it).
  const eventLog = values["event-log"] ? ["--event-log", path.resolve(values["event-log"])] : [];
  // The CLI offers --event-log only with PULUMI_DEBUG_COMMANDS set.
  if (eventLog.length > 0) process.env.PULUMI_DEBUG_COMMANDS = "true";
  switch (command) {
    case "up": {
      console.error(`Using the ${imageMode(stack)} images (CONFRADAR_IMAGES=official|local to choose).`);
      await pulumiOrFail(
        ["up", "--yes", "--skip-preview", ...(values["expect-no-changes"] ? ["--expect-no-changes"] : []), ...eventLog],
        stack,
      );
      const outputs = await stackOutputs(stack, false);
      console.log(`\nThe ${stack} stack is up.`);
      console.log(`  app:        ${outputs.appUrl ?? "disabled (appEnabled = false): the connection strings are outputs"}`);
      if (outputs.pgadminUrl)
        console.log(`  pgAdmin:    ${outputs.pgadminUrl} (login ${outputs.pgadminEmail}; npm run outputs -- --show-secrets)`);
      console.log(
        `  PostgreSQL: ${outputs.postgresHost}:${outputs.postgresPort}${existingServer ? " (an existing server)" : ""}, ` +
          `database ${outputs.databaseName}, server ${outputs.serverVersion}`,
      );
      console.log(`  migrations: ${(outputs.appliedMigrations as string[]).length} applied`);
      return;
    }
    case "preview":
      await pulumiOrFail(["preview", "--diff", ...(values["expect-no-changes"] ? ["--expect-no-changes"] : [])], stack);
      return;
    case "refresh": {
      // After an interrupted `up`: what it left half-made is put right (scripts/stack/pendingCreates.ts).
      const before = await exportedState(stack);
      const plan = planPendingCreates(before.pendingOperations, dockerVolumeExists);
      for (const { urn } of plan.imports)
        console.error(
          `An interrupted update left the volume ${urn.split("::").pop()} being created; Docker has it: importing it.`,
        );
      for (const urn of plan.cleared)
        console.error(`An interrupted update left ${urn.split("::").pop()} being created; clearing it (the next up makes it).`);
      const serverRunning = labelledDockerObjects("container", stack, { role: "postgres", running: true }).length > 0;
      const unreadable = existingServer || serverRunning ? [] : resourcesReadThroughServer(before.resources);
      if (unreadable.length > 0)
        console.error(
          `The stack's PostgreSQL container is not running (an interrupted update was replacing it, or it was stopped): ` +
            `refreshing the Docker objects only. The database, roles and grants (${unreadable.length} resources) stay as the ` +
            `state has them; the next \`npm run up\` starts the server.`,
        );
      await pulumiOrFail(
        ["refresh", "--yes", "--skip-preview", ...plan.flags, ...unreadable.flatMap((urn) => ["--exclude", urn])],
        stack,
      );
      // Only after a refresh that held the stack's lock: during another `up` its new containers are in no state yet.
      const stateIds = new Set((await exportedState(stack)).resources.map((r) => r.id ?? ""));
      for (const kind of ["container", "network"] as const)
        for (const stray of strayObjects(labelledDockerObjects(kind, stack), stateIds)) {
          console.error(
            `The ${kind} ${stray.name} was made by an interrupted update and is in no state: removing it (the next up makes it).`,
          );
          // --volumes: its anonymous volumes too, as the plugin's delete does; the named data volume stays.
          spawnSync("docker", kind === "container" ? ["rm", "--force", "--volumes", stray.id] : ["network", "rm", stray.id], {
            stdio: "inherit",
          });
        }
      return;
    }
    case "destroy": {
      await pulumiOrFail(["destroy", "--yes", "--skip-preview", ...eventLog], stack);
      if (values["wipe-volume"]) {
        // Found by its labels: the volume outlives the stack's state, which `destroy` has just emptied.
        for (const { name: volume } of labelledDockerObjects("volume", stack, { role: "pgdata" })) {
          const removed = spawnSync("docker", ["volume", "rm", volume], { encoding: "utf8" });
          if (removed.status !== 0 && !/no such volume/i.test(removed.stderr))
            throw new UserError(`Could not remove ${volume}: ${removed.stderr.trim()}`);
          console.log(`Removed the data volume ${volume}.`);
        }
      }
      return;
    }
    case "outputs": {
      const outputs = await stackOutputs(stack, values["show-secrets"]!);
      if (Object.keys(outputs).length === 0)
        throw new UserError(
          `The ${stack} stack has no outputs: run \`npm run up${stack === "dev" ? "" : ` -- --stack ${stack}`}\` first.`,
        );
      if (!values.shell) {
        console.log(JSON.stringify(outputs, null, 2));
        return;
      }
      // Export lines carry values, not Pulumi's "[secret]" mask: a secret is printed only when asked.
      const hidden = Object.keys(outputs).filter((key) => outputs[key] === "[secret]");
      console.log(toShellExports(Object.fromEntries(Object.entries(outputs).filter(([key]) => !hidden.includes(key)))));
      if (hidden.length > 0) console.error(`left out (secret): ${hidden.join(", ")}; add --show-secrets to export them too`);
      return;
    }
    case "db:psql": {
      const c = await connection(stack, role);
      const run = execInServer(c, ["psql"], Boolean(process.stdin.isTTY));
      process.exitCode = spawnSync("docker", run.args, { env: run.env, stdio: "inherit" }).status ?? 1;
      return;
    }
    case "db:backup": {
      const c = await connection(stack, "migrator");
      const file = path.resolve(
        values.file ?? path.join(repoRoot, "backups", `${stack}-${new Date().toISOString().replace(/[:.]/g, "-")}.dump`),
      );
      mkdirSync(path.dirname(file), { recursive: true });
      const run = execInServer(c, ["pg_dump", "--format=custom"], false);
      const child = spawn("docker", run.args, { env: run.env, stdio: ["ignore", "pipe", "inherit"] });
      child.stdout.pipe(createWriteStream(file));
      const code = await dockerExitCode(child);
      if (code !== 0) throw new UserError(`pg_dump failed (exit ${code}); ${file} is incomplete.`);
      console.log(`Backup written to ${file}`);
      return;
    }
    case "db:restore": {
      if (!values.file || !existsSync(values.file))
        throw new UserError("db:restore needs --file PATH of a dump made by `npm run db:backup`.");
      const c = await connection(stack, "migrator");
      const run = execInServer(
        c,
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"],
        false,
      );
      const child = spawn("docker", run.args, { env: run.env, stdio: ["pipe", "inherit", "inherit"] });
      createReadStream(values.file).pipe(child.stdin);
      const code = await dockerExitCode(child);
      if (code !== 0)
        throw new UserError(`pg_restore failed (exit ${code}); the restore ran in one transaction, so nothing changed.`);
      console.log(`Restored ${values.file} into the ${stack} database.`);
      return;
    }
    case "db:reset": {
      const { url } = await connection(stack, "migrator");
      const databaseUrl = url.toString();
      const { applied } = await migrationStatus({ databaseUrl });
      if (applied.length > 0) await runMigrations({ databaseUrl, direction: "down", count: applied.length });
      const { ran } = await runMigrations({ databaseUrl, direction: "up" });
      console.log(
        `Reset the ${stack} database: ${applied.length} migrations down, ${ran.length} up. Run the worker's ingest to load the dataset again.`,
      );
      return;
    }
    default:
      throw new UserError(`Unknown command "${command}".\n${USAGE}`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof UserError) {
    console.error(`error: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
