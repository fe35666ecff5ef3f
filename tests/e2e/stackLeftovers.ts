/**
 * What an interrupted e2e run leaves behind, told apart from a developer's own stack.
 *
 * The suites bring up the real `dev` and `ci` stacks, whose Docker names (confradar-STACK-*) a
 * developer's stacks share. A run killed mid-way (a CI time limit, a machine shut down under it) keeps
 * its containers and data volume, and the next run used to refuse them as someone's data: a red CI on
 * a machine that only held the suite's own leftovers. So each suite records the data volume it
 * creates, by name and creation time, in a file outside the checkout (clean clones share it); on the
 * next start, objects whose volume matches that record are removed as the suite's own, and anything
 * else is refused as before, naming what to do. Nothing a developer made is ever removed here.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sh } from "../toolchain/pulumiProject.js";
import { dockerNames } from "./dockerObjects.js";

/** A first `up` that died before it could be recorded made its volume within this long of the start. */
const FIRST_UP_WINDOW_MS = 15 * 60_000;

interface OwnedVolume {
  volume: string;
  /** When the suite started on this stack (ISO time). */
  startedAt: string;
  /** The volume's CreatedAt as Docker reports it, once an `up` made it; null before. */
  createdAt: string | null;
}

function recordFile(stack: string): string {
  const stateHome = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(stateHome, "confradar", "e2e", `${stack}.json`);
}

function readRecord(stack: string): OwnedVolume | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(stack), "utf8")) as OwnedVolume;
  } catch {
    return undefined;
  }
}

function writeRecord(stack: string, record: OwnedVolume): void {
  const file = recordFile(stack);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

function volumeCreatedAt(volume: string): string | null {
  const result = sh("docker", ["volume", "inspect", "--format", "{{.CreatedAt}}", volume]);
  return result.status === 0 ? result.stdout.trim() : null;
}

/** The stack's data volume is the suite's own: made by the recorded `up`, or in its first window. */
export function isSuitesOwn(record: OwnedVolume | undefined, volume: string, createdAt: string): boolean {
  if (!record || record.volume !== volume) return false;
  if (record.createdAt !== null) return record.createdAt === createdAt;
  const made = Date.parse(createdAt);
  const started = Date.parse(record.startedAt);
  return Number.isFinite(made) && Number.isFinite(started) && made >= started - 1000 && made <= started + FIRST_UP_WINDOW_MS;
}

/**
 * Before a suite brings STACK up: removes what an interrupted run of the suite left (logged), refuses
 * (throws, naming the command) what it did not make, then records that this run owns the stack.
 */
export function claimStack(stack: string, takeDown: string): void {
  const prefix = `confradar-${stack}-`;
  const volume = `${prefix}pgdata`;
  const createdAt = volumeCreatedAt(volume);
  const containers = dockerNames("ps", prefix);
  const ours = createdAt !== null && isSuitesOwn(readRecord(stack), volume, createdAt);
  if (ours) {
    const networks = dockerNames("network", prefix);
    console.log(`[e2e ${stack}] removing what an interrupted e2e run left: ${[...containers, ...networks, volume].join(", ")}`);
    for (const name of containers) sh("docker", ["rm", "--force", "--volumes", name]);
    for (const name of networks) sh("docker", ["network", "rm", name]);
    const removed = sh("docker", ["volume", "rm", volume]);
    if (removed.status !== 0) throw new Error(`removing the e2e run's leftover volume ${volume} failed: ${removed.stderr}`);
  } else if (containers.length > 0) {
    throw new Error(
      `The e2e suite brings up the ${stack} stack, but Docker already has ${containers.join(", ")}: take it down first (\`${takeDown}\`).`,
    );
  } else if (createdAt !== null) {
    throw new Error(
      `The e2e suite would use your ${stack} data volume ${volume}: back it up (\`npm run db:backup -- --stack ${stack}\`) and remove it ` +
        `(\`npm run destroy -- --stack ${stack} --wipe-volume\`), or run the suite on another machine.`,
    );
  }
  writeRecord(stack, { volume, startedAt: new Date().toISOString(), createdAt: null });
}

/** After each `up`: the data volume it left is this run's (a wiped and remade one included). */
export function recordStackVolume(stack: string): void {
  const record = readRecord(stack);
  if (!record) return;
  const createdAt = volumeCreatedAt(record.volume);
  if (createdAt !== null) writeRecord(stack, { ...record, createdAt });
}

/** After the suite's cleanup: when nothing of the stack is left, the record goes too. */
export function releaseStack(stack: string): void {
  const prefix = `confradar-${stack}-`;
  if (dockerNames("ps", prefix).length === 0 && dockerNames("volume", prefix).length === 0)
    rmSync(recordFile(stack), { force: true });
}
