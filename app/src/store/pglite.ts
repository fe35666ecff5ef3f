import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { lockStoreFolder, STORE_LOCK_FILE, type StoreLock } from "./lock.js";
import { appRoot } from "../paths.js";

/** A PGlite instance served on a loopback port so that `pg` and node-pg-migrate use it unchanged. */
export interface ServedPglite {
  db: PGlite;
  connectionString: string;
  close(): Promise<void>;
}

export interface ServePgliteOptions {
  /** Folder of a persistent database (created if missing, locked while open); null keeps it in memory. */
  dataDir: string | null;
  /** A tarball from `dumpDataDir` to start from (a clone of a migrated template); in memory only. */
  loadDataDir?: Blob;
  /** pglite-socket's default is 1, which breaks a second pg client while another closes. Default 10. */
  maxConnections?: number;
  /**
   * A new store folder starts with every migration applied, copied from a migrated seed (see
   * ensureMigratedSeed): for the app's processes, which migrate at start anyway. Default false: a
   * new folder is a bare cluster (what the migration commands and their tests expect).
   */
  migrated?: boolean;
}

/** A store folder PGlite cannot open: says which, what PGlite reported, and how to get going again. */
export class EmbeddedStoreUnopenableError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The embedded store ${dir} cannot be opened: PGlite stopped with "${reason}". Nothing was ` +
        "changed. Its files are damaged (two processes wrote to it at once, which the store's lock now " +
        "prevents, or the disk lost writes) or were written by an incompatible PGlite version. To " +
        `recover: restore the folder from a copy taken while nothing ran, or move it away (mv ${dir} ` +
        `${dir}.damaged) and run \`npm run ingest\` to build a new store from the dataset (changes made ` +
        "through the API are lost).",
      options,
    );
    this.name = "EmbeddedStoreUnopenableError";
  }
}

/** A folder that holds files but no store: PGlite would write its own among them. */
export class NotAStoreFolderError extends Error {
  constructor(
    readonly dir: string,
    readonly found: string[],
  ) {
    super(
      `DATABASE_URL points at ${dir}, which is not an embedded store (no PG_VERSION) but holds ` +
        `${found.slice(0, 3).join(", ")}${found.length > 3 ? ", ..." : ""}: use an empty or a new folder.`,
    );
    this.name = "NotAStoreFolderError";
  }
}

const LOG_PREFIX = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+ \[\d+\] /;

/**
 * The lines of PGlite's server log that say why it stopped: PANIC and FATAL, each with the LOG line
 * just before it (the detail, e.g. "invalid checkpoint record"), without timestamps; else the last
 * line. Pure: the log is captured by the caller.
 */
export function pgliteFailureReason(lines: string[]): string | undefined {
  const clean = lines.map((l) => l.trim().replace(LOG_PREFIX, "").replace(/\s+/g, " ")).filter((l) => l !== "");
  const picked: string[] = [];
  clean.forEach((line, i) => {
    if (!/^(PANIC|FATAL):/.test(line)) return;
    const before = clean[i - 1];
    if (before !== undefined && /^LOG:/.test(before) && !picked.includes(before)) picked.push(before);
    picked.push(line);
  });
  if (picked.length > 0) return picked.join("; ");
  return clean.filter((l) => l !== "Aborted()").at(-1);
}

/** Where a new store is built before it is moved into its folder (see createStoreFolder). */
const INIT_DIR = ".confradar-init";

/**
 * How every PGlite here starts: PGlite's own parameters, with 16 MB of shared buffers instead of
 * PostgreSQL's 128 MB. PGlite touches all of them when it starts (they are WebAssembly memory,
 * not a lazily mapped segment), so that setting alone was ~140 MB of each process's RSS; the
 * stores here hold a few MB.
 */
export const PGLITE_START_OPTIONS: Pick<PGliteOptions, "startParams"> = {
  startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"],
};

/** The installed PGlite's version: a seed (below) is only used by the version that made it. */
function pgliteVersion(): string {
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "@electric-sql/pglite" && pkg.version) return pkg.version;
  }
  return "unknown";
}

/**
 * Where a just-initialised, never-used store is kept, for new stores to be copied from: PGlite's
 * initdb (in WebAssembly, with a second PGlite instance and initdb's own module) was ~75 % of a
 * first `npm run ingest` and ~600 MB of its peak RSS. So it runs once per PGlite version and
 * folder of seeds, and each new store after that is a file copy. CONFRADAR_PGLITE_SEED_DIR
 * chooses the folder (default `.pglite/seeds` beside the default store; empty: no seed, every
 * new store runs initdb).
 */
export function pgliteSeedDir(env: NodeJS.ProcessEnv = process.env, root: string = appRoot): string | null {
  const base = env.CONFRADAR_PGLITE_SEED_DIR ?? path.join(root, ".pglite", "seeds");
  return base === "" ? null : path.join(base, `pglite-${pgliteVersion()}`);
}

/**
 * The seed's folder, made now if missing; null when there is none to use (disabled, or the
 * folder cannot be written: the caller then runs initdb in place, as before seeds). Built under
 * a private name and renamed into place, so a seed is always whole; two processes that build one
 * at once both succeed and one copy is kept.
 */
async function ensureSeed(onStderr: (line: string) => boolean): Promise<string | null> {
  const seed = pgliteSeedDir();
  if (seed === null) return null;
  if (existsSync(path.join(seed, "PG_VERSION"))) return seed;
  const building = `${seed}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(path.dirname(seed), { recursive: true });
    const fresh = await PGlite.create({ dataDir: building, onStderr, ...PGLITE_START_OPTIONS });
    await fresh.close();
    await rename(building, seed).catch(async (error: unknown) => {
      if (!existsSync(path.join(seed, "PG_VERSION"))) throw error;
    });
    return seed;
  } catch {
    return null;
  } finally {
    await rm(building, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Builds a new store in `<dir>/.confradar-init` and moves it into `dir` with PG_VERSION last. PGlite
 * decides "existing store" by PG_VERSION alone, and its own first start writes PG_VERSION before the
 * configuration files: a kill at that moment would leave a folder it can never open. Here, a kill at
 * any point leaves a folder without PG_VERSION, which the next start builds again. Called under the
 * folder's lock.
 */
async function createStoreFolder(dir: string, onStderr: (line: string) => boolean, migrated: boolean): Promise<void> {
  const init = path.join(dir, INIT_DIR);
  await rm(init, { recursive: true, force: true }); // left by an interrupted start
  const seed = (migrated ? await ensureMigratedSeed(onStderr) : null) ?? (await ensureSeed(onStderr));
  if (seed !== null) await cp(seed, init, { recursive: true });
  else {
    const fresh = await PGlite.create({ dataDir: init, onStderr, ...PGLITE_START_OPTIONS });
    await fresh.close();
  }
  const entries = (await readdir(init)).filter((e) => e !== "PG_VERSION");
  const ours = new Set([...entries, INIT_DIR, STORE_LOCK_FILE]);
  const foreign = (await readdir(dir)).filter((e) => !ours.has(e) && !e.startsWith(`${STORE_LOCK_FILE}.`));
  if (foreign.length > 0) {
    await rm(init, { recursive: true, force: true });
    throw new NotAStoreFolderError(dir, foreign);
  }
  for (const entry of entries) {
    // Present only if an earlier move was interrupted: without PG_VERSION it was never a store.
    await rm(path.join(dir, entry), { recursive: true, force: true });
    await rename(path.join(init, entry), path.join(dir, entry));
  }
  await rename(path.join(init, "PG_VERSION"), path.join(dir, "PG_VERSION"));
  await rm(init, { recursive: true, force: true });
}

/** Opens (creating if needed) the store in `dir`; PGlite's log is kept to explain a failure. */
async function openStoreFolder(dir: string, migrated: boolean): Promise<PGlite> {
  const log: string[] = [];
  const onStderr = (line: string) => {
    log.push(line);
    if (log.length > 50) log.shift();
    return false;
  };
  if (!existsSync(path.join(dir, "PG_VERSION"))) await createStoreFolder(dir, onStderr, migrated);
  log.length = 0;
  try {
    return await PGlite.create({ dataDir: dir, onStderr, ...PGLITE_START_OPTIONS });
  } catch (error) {
    throw new EmbeddedStoreUnopenableError(dir, pgliteFailureReason(log) ?? (error as Error).message, { cause: error });
  }
}

/** The backend's ReadyForQuery message: 'Z', length 5, then the transaction status byte. */
const READY_FOR_QUERY = [0x5a, 0, 0, 0, 5];

/** Whether a backend reply ends with ReadyForQuery: the end of a batch (Sync) or of a simple query. */
export function endsWithReadyForQuery(reply: Uint8Array): boolean {
  const at = reply.length - 6;
  return at >= 0 && READY_FOR_QUERY.every((byte, i) => reply[at + i] === byte);
}

/**
 * The PGlite that pglite-socket sees. PGlite has one session for every connection, and pglite-socket
 * (0.2.17) takes the next message from any connection unless the session is in a transaction. A pg
 * batch (Parse, Bind, Describe, Execute, Sync) is not, and when its messages arrive in separate
 * reads another connection's Parse replaces the unnamed statement in between: errors, or another
 * query's rows, silently (electric-sql/pglite#1046). So "in a transaction" also covers an open batch:
 * from a message whose reply does not end with ReadyForQuery until one that does, pglite-socket takes
 * messages from that connection only.
 */
function oneBatchAtATime(db: PGlite): PGlite {
  let batchOpen = false;
  const execProtocolRawStream: PGlite["execProtocolRawStream"] = async (message, options) => {
    let tail = new Uint8Array(0);
    await db.execProtocolRawStream(message, {
      ...options,
      onRawData: (data) => {
        tail = Uint8Array.from([...tail, ...data.subarray(-6)]).subarray(-6);
        options.onRawData(data);
      },
    });
    // Terminate ('X') has no reply: the connection is gone, and with it its batch.
    batchOpen = message[0] !== 0x58 && !endsWithReadyForQuery(tail);
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "isInTransaction") return () => batchOpen || target.isInTransaction();
      if (property === "execProtocolRawStream") return execProtocolRawStream;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function socketServer(db: PGlite, maxConnections = 10): PGLiteSocketServer {
  return new PGLiteSocketServer({ db: oneBatchAtATime(db), host: "127.0.0.1", port: 0, maxConnections });
}

/**
 * The seed with every migration in the migrations folder applied (the app's processes start new
 * stores from it): migrating a new store cost 1-5 s of DDL on a cold PGlite, as much as the rest of
 * a first `npm run ingest`. Keyed by the migration files' names and contents, made from the plain
 * seed on first use, through the one migration module; older migrated seeds of the same PGlite
 * version are removed. Null when it cannot be made (the caller uses the plain seed, and the app's
 * own migration run then reports whatever failed).
 */
async function ensureMigratedSeed(onStderr: (line: string) => boolean): Promise<string | null> {
  const base = await ensureSeed(onStderr);
  if (base === null) return null;
  // Loaded here, not at the top: the migration module itself opens stores through this one.
  const { migrationsKey, runMigrations } = await import("../migrate/index.js");
  const prefix = `${path.basename(base)}-migrated-`;
  const seed = path.join(path.dirname(base), `${prefix}${await migrationsKey()}`);
  if (existsSync(path.join(seed, "PG_VERSION"))) return seed;
  const building = `${seed}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await cp(base, building, { recursive: true });
    const db = await PGlite.create({ dataDir: building, onStderr, ...PGLITE_START_OPTIONS });
    const server = socketServer(db);
    try {
      await server.start();
      const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
      await runMigrations({
        databaseUrl: `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
        logger: quiet,
      });
    } finally {
      await server.stop();
      await db.close();
    }
    await rename(building, seed).catch(async (error: unknown) => {
      if (!existsSync(path.join(seed, "PG_VERSION"))) throw error;
    });
    for (const old of await readdir(path.dirname(base)))
      if (old.startsWith(prefix) && path.join(path.dirname(base), old) !== seed && !old.includes(".building-"))
        await rm(path.join(path.dirname(base), old), { recursive: true, force: true });
    return seed;
  } catch {
    return null;
  } finally {
    await rm(building, { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function servePglite(opts: ServePgliteOptions): Promise<ServedPglite> {
  let lock: StoreLock | undefined;
  let db: PGlite;
  if (opts.dataDir !== null && opts.loadDataDir) throw new Error("servePglite: loadDataDir needs dataDir: null");
  if (opts.dataDir !== null) {
    lock = await lockStoreFolder(opts.dataDir);
    try {
      db = await openStoreFolder(opts.dataDir, opts.migrated ?? false);
    } catch (error) {
      await lock.release();
      throw error;
    }
  } else {
    db = await PGlite.create({ ...PGLITE_START_OPTIONS, ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}) });
  }
  const server = socketServer(db, opts.maxConnections);
  try {
    await server.start();
  } catch (error) {
    await db.close();
    await lock?.release();
    throw new Error(`Could not serve PGlite on 127.0.0.1: ${(error as Error).message}`, { cause: error });
  }
  const connectionString = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  let closed = false;
  return {
    db,
    connectionString,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await server.stop();
        await db.close(); // the shutdown checkpoint: the next open needs no recovery
      } finally {
        await lock?.release();
      }
    },
  };
}

/** Writes a PGlite data directory snapshot (uncompressed tar) to a file, for fast clones. */
export async function dumpPgliteToFile(db: PGlite, file: string): Promise<void> {
  const dump = await db.dumpDataDir("none");
  await writeFile(file, new Uint8Array(await dump.arrayBuffer()));
}

/** Reads a snapshot written by dumpPgliteToFile, ready for `servePglite({ loadDataDir })`. */
export async function readPgliteDump(file: string): Promise<Blob> {
  return new Blob([await readFile(file)]);
}
