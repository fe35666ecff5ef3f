// The embedded store under kill -9, with other commands on the same folder around it. A second
// process writing to a PGlite folder corrupts it (see store-folder.test.ts); a kill alone must not.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { servePglite } from "../../app/src/store/index.js";
import { exitWithin, MIGRATE_CLI, seededRandom, sleep, start, waitFor, type Run } from "./processes.js";

const ITERATIONS = 12;
/** One iteration's processes, each bounded: a start, a kill, the commands around it. */
const PROCESS_BOUND_MS = 90_000;

/** POSTs conferences to the app until it dies; returns the acronyms it acknowledged with 201. */
async function writeUntilDead(app: Run, url: string, prefix: string): Promise<string[]> {
  const acknowledged: string[] = [];
  for (let n = 0; app.child.exitCode === null && app.child.signalCode === null; n++) {
    const acronym = `${prefix}X${n}`;
    try {
      const res = await fetch(`${url}api/conferences`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ acronym, name: "Kill test", year: 2031 }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 201) acknowledged.push(acronym);
      else await res.text();
    } catch {
      // killed mid-request: not acknowledged
    }
  }
  return acknowledged;
}

describe("the embedded store", () => {
  it("stays openable, with every acknowledged write, when the app is killed at random points with other commands around it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "confradar-kill-"));
    const env = { DATABASE_URL: `pglite://${dir}`, PORT: "0", LOG_LEVEL: "info" };
    const seed = Number(process.env.CONFRADAR_KILL_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const story: string[] = [`seed ${seed} (CONFRADAR_KILL_SEED=${seed} replays it), store ${dir} (kept when this fails)`];
    const acknowledged: string[] = [];

    for (let i = 0; i < ITERATIONS; i++) {
      // A quarter of the kills fall in the start-up (the store's creation, its recovery from the last
      // kill, migrations); the rest while the app serves writes, with the other command started
      // beside it and the kill either while that command runs or after it has finished.
      const inStartup = random() < 0.25;
      const killAfterOther = !inStartup && random() < 0.5;
      const otherAfterMs = Math.floor(random() * (inStartup ? 3_000 : 1_000));
      const killAfterMs = Math.floor(random() * 1_500);
      const other = random() < 0.5 ? { script: MIGRATE_CLI, args: ["status"] } : { script: undefined, args: ["ingest"] };
      const app = start(["api"], env);
      const listening = inStartup
        ? undefined
        : (await waitFor(app, /ConfRadar api listening on (http:\/\/127\.0\.0\.1:\d+\/)/, PROCESS_BOUND_MS))[1]!;
      const writes = listening ? writeUntilDead(app, listening, `K${i}`) : Promise.resolve([]);
      await sleep(otherAfterMs);
      const otherRun = start(other.args, env, other.script ? { script: other.script } : {});
      if (killAfterOther) await exitWithin(otherRun, PROCESS_BOUND_MS);
      await sleep(killAfterMs);
      app.child.kill("SIGKILL");
      const appExit = await exitWithin(app, PROCESS_BOUND_MS);
      const otherExit = await exitWithin(otherRun, PROCESS_BOUND_MS);
      const acked = await writes;
      acknowledged.push(...acked);
      story.push(
        `#${i}: ${other.args.join(" ")} ${otherAfterMs} ms after the app's ${inStartup ? "spawn" : "listening"}, exit ` +
          `${otherExit.code}; app killed ${killAfterMs} ms after ${killAfterOther ? "that command ended" : "it started"} ` +
          `(${appExit.signal ?? `exit ${appExit.code}`}, ${acked.length} writes acknowledged)`,
      );
      const context = `${story.join("\n")}\n--- ${other.args.join(" ")} output:\n${otherRun.output()}`;
      // The command beside the app either ran (it had the store, or the app was gone) or was refused
      // because the app had it: never a second opener.
      expect(otherRun.output(), context).not.toMatch(/cannot be opened|Aborted\(\)/);
      if (otherExit.code !== 0) {
        expect(otherRun.output(), context).toContain(`is in use by process ${app.child.pid}`);
        expect(otherExit.code, context).toBe(other.args[0] === "ingest" ? 2 : 1);
      }
      // After the kill, the store opens: the next command takes over the dead process's lock.
      const after = start(["status"], env, { script: MIGRATE_CLI });
      const afterExit = await exitWithin(after, PROCESS_BOUND_MS);
      expect(afterExit.code, `${story.join("\n")}\n--- migrate status after the kill:\n${after.output()}`).toBe(0);
      expect(after.output()).toMatch(/\d+ applied, \d+ pending/);
    }

    expect(acknowledged.length, story.join("\n")).toBeGreaterThan(0);
    const store = await servePglite({ dataDir: dir });
    const client = new pg.Client({ connectionString: store.connectionString });
    await client.connect();
    try {
      const { rows } = await client.query<{ acronym: string }>("SELECT acronym FROM conferences WHERE acronym LIKE 'K%X%'");
      const stored = new Set(rows.map((r) => r.acronym));
      expect(
        acknowledged.filter((a) => !stored.has(a)),
        story.join("\n"),
      ).toEqual([]);
    } finally {
      await client.end();
      await store.close();
    }
    await rm(dir, { recursive: true, force: true });
  }, 900_000);
});
