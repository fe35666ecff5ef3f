// The embedded store's folder: why every opener takes its lock, what a store that cannot be opened
// says, and that no interrupted start leaves a folder that cannot be opened.
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrationStatus } from "../../app/src/migrate/index.js";
import {
  EmbeddedStoreBusyError,
  EmbeddedStoreUnopenableError,
  NotAStoreFolderError,
  servePglite,
  STORE_LOCK_FILE,
} from "../../app/src/store/index.js";

const folders: string[] = [];
async function newFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "confradar-store-"));
  folders.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

async function count(connectionString: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<{ n: number }>(sql)).rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe("a PGlite folder", () => {
  it("opened by two instances at once cannot be opened again after the first stops without closing", async () => {
    // The data loss of issue 17, in one process: the second instance's clean close writes a shutdown
    // checkpoint; the first goes on writing WAL from its own position over it; after a kill the control
    // file points at a checkpoint record that is gone. PGlite does not stop a second opener.
    const dir = await newFolder();
    const first = await PGlite.create({ dataDir: dir });
    await first.exec("CREATE TABLE t (x int)");
    const second = await PGlite.create({ dataDir: dir });
    await second.query("SELECT count(*) FROM t");
    await second.close();
    await first.exec("INSERT INTO t SELECT generate_series(1, 1000)");
    // `first` is left as a kill leaves it: never closed.
    await expect(PGlite.create({ dataDir: dir })).rejects.toThrow(/Aborted/);

    const error = await servePglite({ dataDir: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EmbeddedStoreUnopenableError);
    const message = (error as Error).message;
    expect(message).toContain(`The embedded store ${dir} cannot be opened`);
    expect(message).toMatch(/PANIC: could not locate a valid checkpoint record/);
    expect(message).toContain(`mv ${dir} ${dir}.damaged`);
    expect(message).toContain("npm run ingest");
    expect(existsSync(path.join(dir, STORE_LOCK_FILE))).toBe(false);
  });

  it("left without a close by one instance alone (a kill) opens again with every committed write", async () => {
    const dir = await newFolder();
    const crashed = await PGlite.create({ dataDir: dir });
    await crashed.exec("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)");
    // never closed
    const store = await servePglite({ dataDir: dir });
    try {
      expect(await count(store.connectionString, "SELECT count(*)::int AS n FROM t")).toBe(1000);
    } finally {
      await store.close();
    }
  });
});

describe("servePglite on a folder", () => {
  it("holds the store's lock: a second open, here or by the migration commands, is refused until it closes", async () => {
    const dir = await newFolder();
    const store = await servePglite({ dataDir: dir });
    try {
      await expect(servePglite({ dataDir: dir })).rejects.toBeInstanceOf(EmbeddedStoreBusyError);
      await expect(migrationStatus({ databaseUrl: `pglite://${dir}` })).rejects.toThrow(
        `The embedded store ${dir} is already open in this process`,
      );
    } finally {
      await store.close();
    }
    expect(existsSync(path.join(dir, STORE_LOCK_FILE))).toBe(false);
    expect((await migrationStatus({ databaseUrl: `pglite://${dir}` })).applied).toEqual([]);
  });

  it("builds a store again whose first start was interrupted at any point", async () => {
    const complete = await newFolder();
    await (await servePglite({ dataDir: complete })).close();
    const entries = (await readdir(complete)).filter((e) => e !== "PG_VERSION" && e !== STORE_LOCK_FILE);
    // What a kill can leave: a half-built store in .confradar-init, part of it moved, no PG_VERSION.
    const interrupted = await newFolder();
    await cp(complete, path.join(interrupted, ".confradar-init"), { recursive: true });
    await rm(path.join(interrupted, ".confradar-init", "PG_VERSION"));
    for (const entry of entries.slice(0, Math.ceil(entries.length / 2))) {
      await cp(path.join(complete, entry), path.join(interrupted, entry), { recursive: true });
    }
    await writeFile(path.join(interrupted, STORE_LOCK_FILE), "999999999\n"); // and the dead process's lock

    const store = await servePglite({ dataDir: interrupted });
    try {
      expect(await count(store.connectionString, "SELECT 1 AS n")).toBe(1);
    } finally {
      await store.close();
    }
    expect(existsSync(path.join(interrupted, "PG_VERSION"))).toBe(true);
    expect(existsSync(path.join(interrupted, ".confradar-init"))).toBe(false);
  });

  it("refuses a folder that holds other files, and leaves it as it was", async () => {
    const dir = await newFolder();
    await writeFile(path.join(dir, "notes.txt"), "mine");
    await mkdir(path.join(dir, "photos"));
    const error = await servePglite({ dataDir: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NotAStoreFolderError);
    expect((error as Error).message).toMatch(new RegExp(`${dir} .*not an embedded store .*notes\\.txt|photos`));
    expect((await readdir(dir)).sort()).toEqual(["notes.txt", "photos"]);
  });
});
