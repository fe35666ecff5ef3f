import { mkdir, readFile, writeFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** A PGlite instance served on a loopback port so that `pg` and node-pg-migrate use it unchanged. */
export interface ServedPglite {
  db: PGlite;
  connectionString: string;
  close(): Promise<void>;
}

export interface ServePgliteOptions {
  /** Folder of a persistent database (created if missing); null keeps it in memory. */
  dataDir: string | null;
  /** A tarball from `dumpDataDir` to start from (a clone of a migrated template). */
  loadDataDir?: Blob;
  /** pglite-socket's default is 1, which breaks a second pg client while another closes. Default 10. */
  maxConnections?: number;
}

export async function servePglite(opts: ServePgliteOptions): Promise<ServedPglite> {
  if (opts.dataDir !== null) await mkdir(opts.dataDir, { recursive: true });
  const db = await PGlite.create({
    ...(opts.dataDir !== null ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: 0,
    maxConnections: opts.maxConnections ?? 10,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
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
      await server.stop();
      await db.close();
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
