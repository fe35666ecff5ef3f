import { redact } from "../redact.js";
import { parseDatabaseUrl } from "./url.js";
import { servePglite } from "./pglite.js";

export { defaultPgliteDir, parseDatabaseUrl, type DatabaseTarget } from "./url.js";
export {
  dumpPgliteToFile,
  EmbeddedStoreUnopenableError,
  NotAStoreFolderError,
  pgliteFailureReason,
  readPgliteDump,
  servePglite,
  type ServedPglite,
  type ServePgliteOptions,
} from "./pglite.js";
export { EmbeddedStoreBusyError, lockStoreFolder, STORE_LOCK_FILE, type StoreLock } from "./lock.js";

export interface ResolvedDatabase {
  kind: "postgres" | "pglite";
  /** Always a postgres:// URL that `pg` can use (for PGlite: its loopback socket). */
  connectionString: string;
  /** Which store this is, safe to log: no password. */
  description: string;
  /** Stops the embedded server (no-op for a real server). */
  close(): Promise<void>;
}

/**
 * Turns DATABASE_URL into something `pg` can connect to. A postgres:// URL is passed through; an
 * unset URL, `pglite://PATH` or `pglite:memory` starts an embedded PGlite in this process and serves
 * it on 127.0.0.1:<ephemeral port>. A PGlite folder is locked while open: one process at a time
 * (EmbeddedStoreBusyError names the other), whatever the command.
 */
export async function resolveDatabase(
  url: string | undefined,
  opts: { migratedStore?: boolean } = {},
): Promise<ResolvedDatabase> {
  const target = parseDatabaseUrl(url);
  if (target.kind === "postgres") {
    return {
      kind: "postgres",
      connectionString: target.url,
      description: `PostgreSQL server at ${redact(target.url)}`,
      close: async () => {},
    };
  }
  const served = await servePglite({ dataDir: target.dataDir, migrated: opts.migratedStore ?? false });
  return {
    kind: "pglite",
    connectionString: served.connectionString,
    description:
      target.dataDir === null
        ? `embedded PGlite in memory (served on ${new URL(served.connectionString).host})`
        : `embedded PGlite in ${target.dataDir} (served on ${new URL(served.connectionString).host})`,
    close: () => served.close(),
  };
}
