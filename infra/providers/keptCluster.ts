import * as pulumi from "@pulumi/pulumi";

/**
 * What makes a data volume that survived `pulumi destroy` usable by the next `up`.
 *
 * The dev stack keeps its data volume, and with it the cluster: the database, its rows and the
 * three roles. The next `up` starts from empty state, so two things would break (issue #15):
 * - the stack generates a new superuser password, but the image reads POSTGRES_PASSWORD only when
 *   it initialises an empty volume, so the cluster keeps the old one and nobody can log in (28P01);
 * - the postgresql provider runs CREATE ROLE and CREATE DATABASE, which fail on the kept objects.
 *
 * So two steps around the provider's resources, both through the server's unix socket, where the
 * image trusts local connections (the superuser needs no password there):
 * - `ServerTakeover`, whenever the server container is (re)created: sets the superuser's password
 *   to the stack's, and, the first time only (when the resource is created, which is when the
 *   stack's roles and database are created too), renames a kept database and kept roles of the
 *   stack's names to NAME__kept, so the provider's CREATE statements succeed;
 * - `KeptDatabaseReclaim`, after the provider created the roles and the (empty) database and before
 *   any grant: puts the kept database back under its name, owned by the new migrator, hands every
 *   object the kept roles owned to the new roles of the same name, and drops the kept roles.
 * Grants, default privileges and migrations then run on the kept data as on a fresh database.
 *
 * Like the migration step, these functions are serialized into the state: no imports captured.
 */

/** Suffix of a kept object set aside by `ServerTakeover` until `KeptDatabaseReclaim` takes it back. */
export const KEPT_SUFFIX = "__kept";

interface ClusterFacts {
  /** The server container's name, for `docker exec` (a plain name: it stays when the container is replaced). */
  containerName: string;
  /**
   * This stack's generation: a random id created with the stack and gone with `destroy`. Reclaim
   * writes it into the database's comment; takeover sets aside only a database that carries another
   * generation (or none), so a takeover that runs again never touches the stack's own objects.
   */
  generation: string;
  /** The superuser's name; the image trusts it on the unix socket. */
  superuser: string;
  /** The stack's database name. */
  databaseName: string;
  /** The stack's role names (migrator first: it owns the database). */
  roleNames: string[];
}

export interface ServerTakeoverInputs extends ClusterFacts {
  /** Changes when the container is replaced: the password is set again on the new container. */
  containerId: string;
  /** The stack's superuser password (secret). */
  superuserPassword: string;
}

export interface ServerTakeoverOutputs extends ServerTakeoverInputs {
  /** Names set aside on creation (empty when the cluster was new). */
  setAside: string[];
}

export type KeptDatabaseReclaimInputs = ClusterFacts;

export interface KeptDatabaseReclaimOutputs extends KeptDatabaseReclaimInputs {
  /** What was taken back: the database and roles found under NAME__kept. */
  reclaimed: string[];
}

/** Runs SQL with psql inside the server container as the superuser, over the unix socket. */
async function psqlInServer(facts: ClusterFacts, database: string, sql: string): Promise<string> {
  const childProcess = process.getBuiltinModule("node:child_process");
  return await new Promise<string>((resolve, reject) => {
    const child = childProcess.spawn(
      "docker",
      [
        "exec",
        "-i",
        facts.containerName,
        "psql",
        "-X",
        "-q",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-U",
        facts.superuser,
        "-d",
        database,
        "-f",
        "-",
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", (error) => reject(new Error(`could not run docker exec on ${facts.containerName}: ${error.message}`)));
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      // The SQL may carry a password: never echo it, only psql's own message.
      else reject(new Error(`psql in ${facts.containerName} (database ${database}) failed: ${stderr.trim() || `exit ${code}`}`));
    });
    // The SQL goes through stdin, so no password shows in a process list or `docker inspect`.
    child.stdin.end(sql);
  });
}

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
const generationComment = (generation: string) => `ConfRadar stack generation ${generation}`;
const ident = (value: string) => `"${value.replace(/"/g, '""')}"`;

async function setSuperuserPassword(inputs: ServerTakeoverInputs): Promise<void> {
  await psqlInServer(inputs, "postgres", `ALTER ROLE ${ident(inputs.superuser)} PASSWORD ${literal(inputs.superuserPassword)};`);
}

/** Renames the stack's database and roles found in the cluster to NAME__kept; returns the new names. */
async function setAsideKeptObjects(facts: ClusterFacts): Promise<string[]> {
  const names = [facts.databaseName, ...facts.roleNames];
  const existing = (
    await psqlInServer(
      facts,
      "postgres",
      `SELECT 'database:' || datname FROM pg_database WHERE datname IN (${names.map(literal).join(", ")})
       UNION ALL SELECT 'role:' || rolname FROM pg_roles WHERE rolname IN (${names.flatMap((n) => [literal(n), literal(n + KEPT_SUFFIX)]).join(", ")});`,
    )
  )
    .split("\n")
    .filter(Boolean);
  const has = (kind: string, name: string) => existing.includes(`${kind}:${name}`);
  if (has("database", facts.databaseName)) {
    const comment = (
      await psqlInServer(
        facts,
        "postgres",
        `SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = ${literal(facts.databaseName)};`,
      )
    ).trim();
    // The stack's own database and roles (takeover created again): nothing to set aside.
    if (comment === generationComment(facts.generation)) return [];
  }
  const statements: string[] = [];
  const setAside: string[] = [];
  for (const role of facts.roleNames) {
    if (!has("role", role)) continue;
    if (has("role", role + KEPT_SUFFIX))
      throw new Error(
        `The cluster has both the role ${role} and ${role}${KEPT_SUFFIX}, left by an interrupted \`up\`: drop one by hand ` +
          `(\`npm run db:psql -- --role superuser\`) and run \`npm run up\` again. Nothing was changed.`,
      );
    statements.push(`ALTER ROLE ${ident(role)} RENAME TO ${ident(role + KEPT_SUFFIX)};`);
    setAside.push(role + KEPT_SUFFIX);
  }
  if (has("database", facts.databaseName)) {
    // Nothing of this stack runs yet; end stray sessions so the rename cannot be refused.
    statements.push(
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ${literal(facts.databaseName)} AND pid <> pg_backend_pid();`,
      `ALTER DATABASE ${ident(facts.databaseName)} RENAME TO ${ident(facts.databaseName + KEPT_SUFFIX)};`,
    );
    setAside.push(facts.databaseName + KEPT_SUFFIX);
  }
  if (statements.length > 0) await psqlInServer(facts, "postgres", `BEGIN;\n${statements.join("\n")}\nCOMMIT;`);
  return setAside;
}

/** Puts a kept database back under its name and hands the kept roles' objects to the new roles. */
async function reclaimKeptObjects(facts: KeptDatabaseReclaimInputs): Promise<string[]> {
  const keptDatabase = facts.databaseName + KEPT_SUFFIX;
  const keptRoles = facts.roleNames.map((role) => role + KEPT_SUFFIX);
  const existing = (
    await psqlInServer(
      facts,
      "postgres",
      `SELECT 'database:' || datname FROM pg_database WHERE datname = ${literal(keptDatabase)}
       UNION ALL SELECT 'role:' || rolname FROM pg_roles WHERE rolname IN (${keptRoles.map(literal).join(", ")});`,
    )
  )
    .split("\n")
    .filter(Boolean);
  const reclaimed: string[] = [];
  if (existing.includes(`database:${keptDatabase}`)) {
    // The provider just created the database empty; refuse to drop one that holds anything.
    const relations = Number(
      (
        await psqlInServer(
          facts,
          facts.databaseName,
          `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%';`,
        )
      ).trim(),
    );
    if (relations > 0)
      throw new Error(
        `The cluster holds both ${facts.databaseName} (${relations} relations) and ${keptDatabase}, the database kept ` +
          `from before the last destroy. Nothing was dropped: keep the one you want (\`npm run db:psql -- --role superuser\`, ` +
          `DROP DATABASE or ALTER DATABASE … RENAME) and run \`npm run up\` again.`,
      );
    await psqlInServer(facts, "postgres", `DROP DATABASE ${ident(facts.databaseName)} WITH (FORCE);`);
    await psqlInServer(facts, "postgres", `ALTER DATABASE ${ident(keptDatabase)} RENAME TO ${ident(facts.databaseName)};`);
    reclaimed.push(keptDatabase);
  }
  const migrator = facts.roleNames[0]!;
  await psqlInServer(
    facts,
    "postgres",
    `ALTER DATABASE ${ident(facts.databaseName)} OWNER TO ${ident(migrator)};
` + `COMMENT ON DATABASE ${ident(facts.databaseName)} IS ${literal(generationComment(facts.generation))};`,
  );
  const kept = facts.roleNames.filter((role) => existing.includes(`role:${role}${KEPT_SUFFIX}`));
  if (kept.length > 0) {
    // Objects in the database go to the role of the same name; what is left (privileges, default
    // privileges) goes with DROP OWNED, in the database and in `postgres` (shared objects).
    const inDatabase = kept.flatMap((role) => [
      `REASSIGN OWNED BY ${ident(role + KEPT_SUFFIX)} TO ${ident(role)};`,
      `DROP OWNED BY ${ident(role + KEPT_SUFFIX)};`,
    ]);
    await psqlInServer(facts, facts.databaseName, `BEGIN;\n${inDatabase.join("\n")}\nCOMMIT;`);
    const inPostgres = kept.flatMap((role) => [
      `REASSIGN OWNED BY ${ident(role + KEPT_SUFFIX)} TO ${ident(role)};`,
      `DROP OWNED BY ${ident(role + KEPT_SUFFIX)};`,
      `DROP ROLE ${ident(role + KEPT_SUFFIX)};`,
    ]);
    await psqlInServer(facts, "postgres", `BEGIN;\n${inPostgres.join("\n")}\nCOMMIT;`);
    reclaimed.push(...kept.map((role) => role + KEPT_SUFFIX));
  }
  return reclaimed;
}

export const serverTakeoverProvider: pulumi.dynamic.ResourceProvider<ServerTakeoverInputs, ServerTakeoverOutputs> = {
  async diff(_id, olds, news) {
    // Never a replacement: a new container (id) or password is an update that sets the password.
    const changed =
      olds.containerId !== news.containerId ||
      olds.containerName !== news.containerName ||
      olds.superuserPassword !== news.superuserPassword ||
      olds.superuser !== news.superuser ||
      olds.generation !== news.generation;
    return { changes: changed };
  },
  async create(inputs) {
    await setSuperuserPassword(inputs);
    const setAside = await setAsideKeptObjects(inputs);
    return { id: `${inputs.containerName}-takeover`, outs: { ...inputs, setAside } };
  },
  async update(_id, olds, news) {
    // A new container on the same volume: only the password; the roles are the stack's own by now.
    await setSuperuserPassword(news);
    return { outs: { ...news, setAside: olds.setAside } };
  },
  async delete() {},
};

export const keptDatabaseReclaimProvider: pulumi.dynamic.ResourceProvider<KeptDatabaseReclaimInputs, KeptDatabaseReclaimOutputs> =
  {
    async diff(_id, olds, news) {
      const changed =
        olds.containerName !== news.containerName ||
        olds.databaseName !== news.databaseName ||
        olds.roleNames.join() !== news.roleNames.join();
      return { changes: changed };
    },
    async create(inputs) {
      const reclaimed = await reclaimKeptObjects(inputs);
      return { id: `${inputs.databaseName}-reclaim`, outs: { ...inputs, reclaimed } };
    },
    async update(_id, _olds, news) {
      const reclaimed = await reclaimKeptObjects(news);
      return { outs: { ...news, reclaimed } };
    },
    async delete() {},
  };

type Args<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export class ServerTakeover extends pulumi.dynamic.Resource {
  declare readonly setAside: pulumi.Output<string[]>;

  constructor(name: string, args: Args<ServerTakeoverInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      serverTakeoverProvider,
      name,
      { setAside: undefined, ...args },
      { ...opts, additionalSecretOutputs: ["superuserPassword"] },
      "confradar",
      "ServerTakeover",
    );
  }
}

export class KeptDatabaseReclaim extends pulumi.dynamic.Resource {
  declare readonly reclaimed: pulumi.Output<string[]>;

  constructor(name: string, args: Args<KeptDatabaseReclaimInputs>, opts?: pulumi.CustomResourceOptions) {
    super(keptDatabaseReclaimProvider, name, { reclaimed: undefined, ...args }, opts, "confradar", "KeptDatabaseReclaim");
  }
}
