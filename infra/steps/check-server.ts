/**
 * The existing server's pre-flight check the Pulumi program runs (infra/providers/existingServerCheck.ts):
 * connects as the admin role with the stack's TLS settings and prints one JSON line on stdout,
 * `{ missing, leftovers, serverVersion }`: the messages for what the admin lacks and for the
 * stack's objects already on the server (null when none). Never prints the password.
 *
 *   ADMIN_URL=postgres://admin@host/postgres?sslmode=verify-full&sslrootcert=... \
 *   STACK_DATABASE=confradar STACK_ROLES=a,b,c node --import tsx infra/steps/check-server.ts
 */
import pg from "pg";
import {
  ADMIN_REQUIREMENTS,
  adminCheckMessage,
  connectionHint,
  existingStackObjects,
  leftoverMessage,
  missingAdminPrivileges,
  readAdminFacts,
} from "../serverAdmin.js";

const ADMIN_LOGIN = ADMIN_REQUIREMENTS.login;

async function main(): Promise<void> {
  const url = process.env.ADMIN_URL;
  if (!url) throw new Error("ADMIN_URL is not set");
  const database = process.env.STACK_DATABASE ?? "";
  const roles = (process.env.STACK_ROLES ?? "").split(",").filter(Boolean);
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const where = `${parsed.hostname}:${parsed.port || 5432}`;
  const print = (missing: string[], leftovers: string[], serverVersion: string) =>
    process.stdout.write(
      `${JSON.stringify({
        missing: missing.length > 0 ? adminCheckMessage(user, where, missing) : null,
        leftovers: leftovers.length > 0 ? leftoverMessage(where, leftovers, database, roles) : null,
        serverVersion,
      })}\n`,
    );
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000, application_name: "confradar-check" });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    print([`${ADMIN_LOGIN}: ${connectionHint(error as Error)}`], [], "");
    return;
  }
  try {
    const facts = await readAdminFacts(client);
    const leftovers = await existingStackObjects(client, database, roles);
    print(missingAdminPrivileges(facts), leftovers, facts.serverVersion);
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
