/**
 * What `npm run refresh` does with the creates an interrupted `up` left pending.
 *
 * A killed `up` (Ctrl-C twice, an OOM kill, a power cut) can leave operations marked "creating" in
 * the state: Pulumi asked for the object but never heard back. Plain `pulumi refresh` keeps them
 * unless run interactively, and the next `up` then creates the Docker object again under the same
 * name: "Conflict. The container name ... is already in use". So refresh first looks each one up:
 * a container, network or volume that Docker has under the pending name is imported into the state
 * by its id (the next `up` updates or replaces it as the program says); every other pending create
 * (one Docker never made, a generated password, the migration step) is cleared, and the next `up`
 * makes it again.
 */

export interface PendingOperation {
  type: string;
  resource: { urn: string; type: string; inputs?: Record<string, unknown> };
}

/** The Docker object kinds the state names by Docker's own id, with the CLI command that finds it. */
export const IMPORTABLE_DOCKER_TYPES = {
  "docker:index/container:Container": "container",
  "docker:index/network:Network": "network",
  "docker:index/volume:Volume": "volume",
} as const;

export type DockerKind = (typeof IMPORTABLE_DOCKER_TYPES)[keyof typeof IMPORTABLE_DOCKER_TYPES];

export interface PendingCreatePlan {
  /** URN and id pairs for --import-pending-creates. */
  imports: { urn: string; id: string }[];
  /** URNs cleared with --clear-pending-creates. */
  cleared: string[];
  /** The flags for `pulumi refresh`. */
  flags: string[];
}

/** Decides, for each pending create, import (Docker has it) or clear. `lookup` asks Docker. */
export function planPendingCreates(
  operations: readonly PendingOperation[],
  lookup: (kind: DockerKind, name: string) => string | undefined,
): PendingCreatePlan {
  const imports: { urn: string; id: string }[] = [];
  const cleared: string[] = [];
  for (const op of operations) {
    if (op.type !== "creating") continue;
    const kind = IMPORTABLE_DOCKER_TYPES[op.resource.type as keyof typeof IMPORTABLE_DOCKER_TYPES];
    const name = op.resource.inputs?.name;
    const id = kind && typeof name === "string" && name !== "" ? lookup(kind, name) : undefined;
    if (id) imports.push({ urn: op.resource.urn, id });
    else cleared.push(op.resource.urn);
  }
  const flags = [
    ...imports.flatMap(({ urn, id }) => ["--import-pending-creates", urn, "--import-pending-creates", id]),
    ...(cleared.length > 0 ? ["--clear-pending-creates"] : []),
  ];
  return { imports, cleared, flags };
}
