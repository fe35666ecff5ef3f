// The embedded store's lock file (app/src/store/lock.ts) across real processes.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedStoreBusyError, lockStoreFolder, STORE_LOCK_FILE } from "../../app/src/store/index.js";
import { exitWithin, ROOT, start } from "./processes.js";

const LOCK_MODULE = pathToFileURL(path.join(ROOT, "app/src/store/lock.ts")).href;
const folders: string[] = [];
async function newFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "confradar-lock-"));
  folders.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});

/** A process that is alive until killed, and then certainly dead: its pid for a lock file. */
async function processThatDies(): Promise<{ pid: number; kill(): Promise<void> }> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await new Promise((r) => child.once("spawn", r));
  return {
    pid: child.pid!,
    kill: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

/** `node --import tsx -e SCRIPT` with the lock module imported as `lock`. */
function runScript(script: string, env: Record<string, string> = {}) {
  return start([], env, {
    command: [
      process.execPath,
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      `const lock = await import(${JSON.stringify(LOCK_MODULE)});\n${script}`,
    ],
  });
}

describe("the embedded store's lock", () => {
  it("is refused while its owner lives, naming it, and taken over once it is dead", async () => {
    const dir = await newFolder();
    const owner = await processThatDies();
    await writeFile(path.join(dir, STORE_LOCK_FILE), `${owner.pid}\n`);
    const refused = await lockStoreFolder(dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EmbeddedStoreBusyError);
    expect((refused as Error).message).toContain(`The embedded store ${dir} is in use by process ${owner.pid}`);
    await owner.kill();
    const held = await lockStoreFolder(dir);
    expect(await readFile(held.file, "utf8")).toBe(`${process.pid}\n`);
    await held.release();
    expect(existsSync(held.file)).toBe(false);
  });

  it("is refused to a second taker in the same process, and taken over when our own pid is in it from an earlier life", async () => {
    const dir = await newFolder();
    await writeFile(path.join(dir, STORE_LOCK_FILE), `${process.pid}\n`); // pid 1 in a restarted container
    const held = await lockStoreFolder(dir);
    await expect(lockStoreFolder(dir)).rejects.toThrow(`The embedded store ${dir} is already open in this process`);
    await held.release();
    await (await lockStoreFolder(dir)).release();
  });

  it("goes with its process on exit, even a forced one, and stays after kill -9 until the next taker", async () => {
    const dir = await newFolder();
    const file = path.join(dir, STORE_LOCK_FILE);
    const exited = runScript(`await lock.lockStoreFolder(${JSON.stringify(dir)}); process.exit(1);`);
    expect((await exitWithin(exited, 60_000)).code).toBe(1);
    expect(existsSync(file)).toBe(false);

    const killed = runScript(
      `await lock.lockStoreFolder(${JSON.stringify(dir)}); console.log("held"); setInterval(() => {}, 1000);`,
    );
    for (let i = 0; i < 600 && !killed.output().includes("held"); i++) await new Promise((r) => setTimeout(r, 50));
    killed.child.kill("SIGKILL");
    await exitWithin(killed, 60_000);
    expect(await readFile(file, "utf8")).toBe(`${killed.child.pid}\n`);
    await (await lockStoreFolder(dir)).release();
  });

  it("has one holder when several processes find the same dead owner at the same moment", async () => {
    const dir = await newFolder();
    const dead = await processThatDies();
    await dead.kill();
    await writeFile(path.join(dir, STORE_LOCK_FILE), `${dead.pid}\n`);
    // Each waits for the same instant (the module loads take different times), then tries.
    const at = Date.now() + 10_000;
    const script = `
      while (Date.now() < ${at}) await new Promise((r) => setTimeout(r, 1));
      try {
        const held = await lock.lockStoreFolder(${JSON.stringify(dir)});
        console.log("got");
        await new Promise((r) => setTimeout(r, 10_000));
        await held.release();
      } catch (e) {
        console.log(e.name === "EmbeddedStoreBusyError" ? "busy" : "error " + e.message);
      }`;
    const runs = Array.from({ length: 6 }, () => runScript(script));
    await Promise.all(runs.map((r) => exitWithin(r, 60_000)));
    const outcomes = runs.map((r) => r.output().trim()).sort();
    expect(outcomes).toEqual(["busy", "busy", "busy", "busy", "busy", "got"]);
  });
});
