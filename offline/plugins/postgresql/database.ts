/**
 * postgresql:index/database:Database. Name and owner change in place; template and encoding are
 * fixed at creation and replace it (the official ForceNew set). Delete blocks new connections,
 * ends the open ones and drops it, as the official provider does.
 */
import type * as postgresql from "@pulumi/postgresql";
import type * as pulumi from "@pulumi/pulumi";
import type { PropertyRules, ResourceHandler } from "../core/resource.js";
import type pg from "pg";
import { grantMembership, ident, literal, type PostgresSession, revokeMembership } from "./session.js";

/**
 * Runs `body` with the connected role a member of `owner`, as the official provider does around
 * CREATE DATABASE ... OWNER, ALTER DATABASE ... OWNER TO and DROP DATABASE: a role that is not a
 * superuser may only create a database for, or drop one of, a role it is a member of. Statements in
 * autocommit (CREATE and DROP DATABASE cannot run in a transaction); the membership goes afterwards.
 */
async function asMemberOf<T>(client: pg.PoolClient, owner: string | undefined, body: () => Promise<T>): Promise<T> {
  if (!owner) return await body();
  const me = String((await client.query("SELECT current_user AS u")).rows[0].u);
  const granted = await grantMembership(client, owner, me);
  try {
    return await body();
  } finally {
    if (granted) await revokeMembership(client, owner, me);
  }
}

export type DatabaseInputs = pulumi.Unwrap<postgresql.DatabaseArgs>;

export const DATABASE_RULES: PropertyRules<DatabaseInputs> = {
  name: "update",
  owner: "update",
  template: "replace",
  encoding: "replace",
};

interface DatabaseState {
  name: string;
  owner: string;
  template: string;
  encoding: string;
  lcCollate: string;
  lcCtype: string;
  connectionLimit: number;
  allowConnections: boolean;
  isTemplate: boolean;
  tablespaceName: string;
}

export function databaseDefaults(inputs: DatabaseInputs): DatabaseInputs {
  return { ...inputs, template: inputs.template ?? "template0", encoding: inputs.encoding ?? "UTF8" };
}

async function readDatabase(session: PostgresSession, name: string, template: string): Promise<DatabaseState | undefined> {
  return await session.run(async (client) => {
    const { rows } = await client.query(
      `SELECT d.datname, pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate, d.datctype,
              d.datconnlimit, d.datallowconn, d.datistemplate, t.spcname
         FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = $1`,
      [name],
    );
    const row = rows[0] as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return {
      name: String(row.datname),
      owner: String(row.owner),
      template,
      encoding: String(row.encoding),
      lcCollate: String(row.datcollate),
      lcCtype: String(row.datctype),
      connectionLimit: Number(row.datconnlimit),
      allowConnections: Boolean(row.datallowconn),
      isTemplate: Boolean(row.datistemplate),
      tablespaceName: String(row.spcname),
    };
  });
}

export const databaseHandler: ResourceHandler<DatabaseInputs, DatabaseState, PostgresSession> = {
  token: "postgresql:index/database:Database",
  rules: DATABASE_RULES,
  withDefaults: databaseDefaults,
  async create(inputs, { session }) {
    const d = databaseDefaults(inputs);
    const name = d.name!;
    await session.run((client) =>
      asMemberOf(client, d.owner, () =>
        client.query(
          `CREATE DATABASE ${ident(name)}${d.owner ? ` OWNER ${ident(d.owner)}` : ""} TEMPLATE ${ident(d.template!)} ` +
            `ENCODING ${literal(d.encoding!)} CONNECTION LIMIT -1 ALLOW_CONNECTIONS true IS_TEMPLATE false`,
        ),
      ),
    );
    const state = await readDatabase(session, name, d.template!);
    if (!state) throw new Error(`database ${name} was created but pg_database does not list it`);
    return { id: name, state };
  },
  async read(id, state, inputs, { session }) {
    const live = await readDatabase(session, id, state.template ?? "template0");
    if (!live) return undefined;
    return {
      id,
      state: live,
      inputs: { ...inputs, name: live.name, ...(inputs.owner !== undefined ? { owner: live.owner } : {}) },
    };
  },
  async update(id, state, news, olds, { session }) {
    const name = news.name!;
    await session.run(async (client) => {
      if (olds.name !== undefined && olds.name !== name)
        await client.query(`ALTER DATABASE ${ident(olds.name)} RENAME TO ${ident(name)}`);
      if (news.owner !== undefined && news.owner !== olds.owner)
        await asMemberOf(client, news.owner, () => client.query(`ALTER DATABASE ${ident(name)} OWNER TO ${ident(news.owner!)}`));
    });
    const live = await readDatabase(session, name, state.template ?? "template0");
    if (!live) throw new Error(`database ${name} (${id}) is gone: run \`npm run refresh\`, then \`npm run up\``);
    return live;
  },
  async delete(id, _state, inputs, { session }) {
    await session.run(async (client) => {
      const exists = (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [id])).rowCount === 1;
      if (!exists) return;
      const version = Number((await client.query("SHOW server_version_num")).rows[0].server_version_num);
      await asMemberOf(client, inputs.owner, async () => {
        await client.query(`ALTER DATABASE ${ident(id)} ALLOW_CONNECTIONS false`);
        // Only sessions this role may end (a non-superuser: those of roles it is a member of).
        await client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid() AND pg_has_role(usesysid, 'MEMBER')`,
          [id],
        );
        await client.query(`DROP DATABASE ${ident(id)}${version >= 130000 ? " WITH (FORCE)" : ""}`);
      });
    });
  },
};
