import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

/** How often the worker proves it is alive, and how stale a heartbeat may get before it is unhealthy. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
export const HEARTBEAT_MAX_AGE_MS = 60_000;

export async function writeHeartbeat(file: string, at: Date = new Date()): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${at.toISOString()}\n`);
}

export async function removeHeartbeat(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Age of the heartbeat in ms, or null if there is none. */
export async function heartbeatAgeMs(file: string, now: Date = new Date()): Promise<number | null> {
  try {
    const s = await stat(file);
    return now.getTime() - s.mtime.getTime();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
