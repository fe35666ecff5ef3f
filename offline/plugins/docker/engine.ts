/**
 * The Docker Engine API client the docker plugin uses (dockerode), and the few facts about its
 * errors that the handlers need. DOCKER_HOST is honoured as by the docker CLI.
 */
import Docker from "dockerode";

export type DockerSession = { docker: Docker };

export function connectDocker(): DockerSession {
  return { docker: new Docker() };
}

/** True for the engine's 404 (no such container, image, network or volume). */
export function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { statusCode?: number }).statusCode === 404;
}

/** The engine's own message, without dockerode's "(HTTP code 404) unexpected - " prefix. */
export function engineMessage(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const json = (error as { json?: { message?: string } }).json;
    if (json?.message) return json.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Runs `body`, mapping the engine's 404 to undefined. */
export async function unlessNotFound<T>(body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Docker labels as the official SDK passes them: a list of {label, value}. */
export type LabelList = { label: string; value: string }[] | undefined;

export function labelsToMap(labels: LabelList): Record<string, string> {
  return Object.fromEntries((labels ?? []).map(({ label, value }) => [label, value]));
}

/** Labels from the engine, as the official provider reports them: sorted by name. */
export function labelsFromMap(labels: Record<string, string> | null | undefined): { label: string; value: string }[] {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => ({ label, value }));
}

/** Labels are a set to the engine and to the official provider: order them by name to compare. */
export function sortedLabels(labels: LabelList): LabelList {
  return labels === undefined ? undefined : [...labels].sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * The text of a container's logs as the engine sends them without a TTY: frames of an 8-byte
 * header (stream, 3 zero bytes, big-endian length) and the payload. Text without frames passes.
 */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[offset]! <= 2 && buffer.readUIntBE(offset + 1, 3) === 0) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  if (offset === 0) return buffer.toString("utf8");
  return Buffer.concat(parts).toString("utf8");
}

/** Pulls an image, resolving when the engine reports the pull complete; the engine's error otherwise. */
export async function pullImage(session: DockerSession, name: string): Promise<void> {
  const stream = await session.docker.pull(name);
  await new Promise<void>((resolve, reject) =>
    session.docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failed = error?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
}
