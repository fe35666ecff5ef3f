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
