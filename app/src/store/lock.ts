import { randomBytes } from "node:crypto";
import { rmSync, readFileSync } from "node:fs";
import { link, mkdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/** The lock file every process that opens an embedded store takes, in the store's folder. */
export const STORE_LOCK_FILE = "confradar-app.lock";

export class EmbeddedStoreBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      pid === process.pid
        ? `The embedded store ${dir} is already open in this process: a PGlite folder can be open once only.`
        : `The embedded store ${dir} is in use by process ${pid} (npm run app / worker / ingest / migrate?). ` +
            "A PGlite folder can be open in one process only: stop that process first, or set DATABASE_URL " +
            "to a PostgreSQL server to run several processes at once.",
    );
    this.name = "EmbeddedStoreBusyError";
  }
}

/** A held store lock. `release` is safe to call twice. */
export interface StoreLock {
  readonly file: string;
  release(): Promise<void>;
}

/** Folders this process holds: the pid in a lock file cannot tell "me, now" from "me, before a restart". */
const heldHere = new Set<string>();

/** A pid in a lock file is alive if a process has it: this one only while it holds the folder. */
function isAlive(pid: number, dir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // Our own pid in a folder we do not hold: a lock left by an earlier life of this pid (pid 1 in a
  // restarted container).
  if (pid === process.pid) return heldHere.has(dir);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOwner(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

const ownerPid = (content: string) => Number(content.trim());
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Creates `file` holding `content`, or fails with EEXIST. Written to a private file first and
 * hard-linked into place, so that nobody ever reads a lock file without its pid (an empty file read
 * as "pid 0, dead" is how two processes both end up holding a lock).
 */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, content);
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Runs `fn` while holding `<lock>.takeover`, so that two processes that both found the same dead
 * owner cannot both remove the lock and each take it (the second would remove the first's fresh
 * lock). The section is a few file operations; a takeover lock whose process is gone is removed.
 */
async function withTakeoverLock<T>(file: string, dir: string, fn: () => Promise<T>): Promise<T> {
  const takeover = `${file}.takeover`;
  const deadline = Date.now() + 10_000;
  while (!(await createExclusive(takeover, `${process.pid}\n`))) {
    const holder = await readOwner(takeover);
    if (holder !== undefined && !isAlive(ownerPid(holder), dir)) await rm(takeover, { force: true });
    else if (Date.now() > deadline)
      throw new Error(`could not take ${takeover} within 10 s: remove it if no ConfRadar process runs`);
    else await sleep(20);
  }
  try {
    return await fn();
  } finally {
    await rm(takeover, { force: true });
  }
}

/**
 * Takes the folder's lock for this process, or throws EmbeddedStoreBusyError naming the live owner.
 * Two PGlite instances on one folder corrupt it (each writes WAL and checkpoints from its own copy in
 * memory), and PGlite does not stop that: every process that opens a folder takes this lock first.
 * A lock left by a dead process (kill -9, a crash) is taken over. On exit, even a forced one, the lock
 * is removed; after kill -9 the next opener finds its owner dead.
 */
export async function lockStoreFolder(folder: string): Promise<StoreLock> {
  await mkdir(folder, { recursive: true });
  const dir = await realpath(folder);
  if (heldHere.has(dir)) throw new EmbeddedStoreBusyError(folder, process.pid);
  const file = path.join(dir, STORE_LOCK_FILE);
  const content = `${process.pid}\n`;
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, content)) break;
    const owner = await readOwner(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if (isAlive(ownerPid(owner), dir)) throw new EmbeddedStoreBusyError(folder, ownerPid(owner));
    if (attempt >= 20) throw new Error(`could not take the lock ${file}: remove it if no ConfRadar process runs`);
    await withTakeoverLock(file, dir, async () => {
      // Only the dead owner's file goes: another process may have taken over since we read it.
      if ((await readOwner(file)) === owner) await rm(file, { force: true });
    });
  }
  heldHere.add(dir);
  // process.exit() (a forced shutdown, a fatal error) skips every await: remove the lock then too.
  const onExit = () => {
    try {
      if (readFileSync(file, "utf8") === content) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.on("exit", onExit);
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      process.off("exit", onExit);
      heldHere.delete(dir);
      if ((await readOwner(file)) === content) await rm(file, { force: true });
    },
  };
}
