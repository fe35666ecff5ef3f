/**
 * What `npm run refresh` puts right after an interrupted `up`.
 *
 * A killed `up` (Ctrl-C twice, an OOM kill, a power cut) can leave operations marked "creating" in
 * the state: Pulumi asked for the object but never heard back. Plain `pulumi refresh` keeps them
 * unless run interactively, and the next `up` then creates the Docker object again under the same
 * name: "Conflict. The container name ... is already in use". The same happens when the kill came
 * between a replacement's create and Pulumi recording it. So:
 *
 * - a pending create of a volume Docker has is imported into the state by its name (a volume holds
 *   data, so it is never removed here); every other pending create is cleared;
 * - when the stack's server container is not running (the kill came in a replacement of it: the
 *   old one removed, the new one not yet started), the resources read through a connection to it
 *   (the database, roles, grants) are left out of the refresh, which would otherwise fail on them
 *   and leave everything else as it was; the next `up` starts the server;
 * - after the refresh, the stack's containers and networks (by the stack's label) that the state
 *   does not list were made by an interrupted run and recorded nowhere: they are removed, and the
 *   next `up` makes them again from the program. Containers hold no data (the volume does).
 */

export interface PendingOperation {
  type: string;
  resource: { urn: string; type: string; inputs?: Record<string, unknown> };
}

const VOLUME_TYPE = "docker:index/volume:Volume";

export interface PendingCreatePlan {
  /** URN and volume name pairs for --import-pending-creates. */
  imports: { urn: string; id: string }[];
  /** URNs cleared with --clear-pending-creates. */
  cleared: string[];
  /** The flags for `pulumi refresh`. */
  flags: string[];
}

/** Decides, for each pending create, import (a volume Docker has) or clear. `volumeExists` asks Docker. */
export function planPendingCreates(
  operations: readonly PendingOperation[],
  volumeExists: (name: string) => boolean,
): PendingCreatePlan {
  const imports: { urn: string; id: string }[] = [];
  const cleared: string[] = [];
  for (const op of operations) {
    if (op.type !== "creating") continue;
    const name = op.resource.inputs?.name;
    if (op.resource.type === VOLUME_TYPE && typeof name === "string" && name !== "" && volumeExists(name))
      imports.push({ urn: op.resource.urn, id: name });
    else cleared.push(op.resource.urn);
  }
  const flags = [
    ...imports.flatMap(({ urn, id }) => ["--import-pending-creates", urn, "--import-pending-creates", id]),
    ...(cleared.length > 0 ? ["--clear-pending-creates"] : []),
  ];
  return { imports, cleared, flags };
}

export interface DockerObject {
  id: string;
  name: string;
}

/** The stack's Docker objects that no resource in the state has as its id. */
export function strayObjects(inDocker: readonly DockerObject[], stateIds: ReadonlySet<string>): DockerObject[] {
  return inDocker.filter((object) => !stateIds.has(object.id));
}

/** The state's resources that a refresh reads through a connection to the PostgreSQL server: the postgresql provider's. */
export function resourcesReadThroughServer(resources: readonly { urn: string; type: string }[]): string[] {
  return resources.filter((resource) => resource.type.startsWith("postgresql:")).map((resource) => resource.urn);
}
