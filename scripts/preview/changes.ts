/**
 * What a pull request changes in the stack, read from the engine's events as `pulumi preview
 * --json` streams them with PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true (one JSON engine event per
 * line: the steps with their replace keys and detailed diffs, and the stack's old and new outputs,
 * which the non-streaming `--json` leaves out) and from the migration files of the base and head
 * commits. Pure: no I/O, so tests/unit/ checks it on hand-made events.
 */
import type { MigrationSet } from "../../app/src/migrate/files.js";

/** How the engine marks a value it will know only during `up`. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The key that marks a secret in engine events (its value is shown as `[secret]`). */
export const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

export function isSecretValue(value: unknown): boolean {
  return value === "[secret]" || (typeof value === "object" && value !== null && SECRET_SIGNATURE in value);
}

/** The changes a reviewer reads about; `same`, `read` and the like are left out. */
export type ResourceChange = "create" | "update" | "replace" | "delete";

export interface ChangedResource {
  change: ResourceChange;
  urn: string;
  /** The logical name in the program (the URN's last part), e.g. `app-api`. */
  name: string;
  /** The resource type token, e.g. `docker:index/container:Container`. */
  type: string;
  /** For a replacement, the properties that force it; for an update, the properties that change. */
  properties: string[];
}

export interface OutputChange {
  name: string;
  change: "added" | "changed" | "removed";
  before?: unknown;
  /** UNKNOWN_VALUE when only `up` can tell. */
  after?: unknown;
}

export interface PreviewChanges {
  resources: ChangedResource[];
  outputs: OutputChange[];
  /** What the migration step would apply (its `pending` input, computed by its `check`). */
  stepPending?: string[];
  /** Error diagnostics of the preview, in order. */
  errors: string[];
}

/** The parts of an engine event (apitype.EngineEvent) the summary reads. */
interface StepMetadata {
  op?: string;
  urn?: string;
  type?: string;
  old?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
  new?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
  keys?: string[] | null;
  diffs?: string[] | null;
  /** `diffKind` in engine events (`kind` in the non-streaming --json output). */
  detailedDiff?: Record<string, { diffKind?: string; kind?: string }> | null;
}

interface EngineEvent {
  resourcePreEvent?: { metadata?: StepMetadata };
  resOutputsEvent?: { metadata?: StepMetadata };
  diagnosticEvent?: { severity?: string; message?: string; urn?: string };
}

/** Parses the event stream: one JSON event per line (blank lines skipped; a bad line is an error naming it). */
export function parseEventLog(text: string): EngineEvent[] {
  const events: EngineEvent[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch (error) {
      throw new Error(
        `line ${index + 1} of the preview's events is not JSON (${(error as Error).message}): ${line.slice(0, 120)}`,
      );
    }
  });
  return events;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/** The engine's step ops, folded into the four a reviewer reads; undefined for the rest. */
export function foldOp(op: string): ResourceChange | undefined {
  switch (op) {
    case "create":
    case "import":
      return "create";
    case "update":
      return "update";
    case "replace":
    case "create-replacement":
    case "delete-replaced":
    case "import-replacement":
      return "replace";
    case "delete":
      return "delete";
    default:
      return undefined;
  }
}

const RANK: Record<ResourceChange, number> = { create: 1, update: 2, delete: 3, replace: 4 };

/** The properties whose change forces a replacement: the step's replace keys, else its detailed diff. */
function replacingProperties(meta: StepMetadata): string[] {
  if (meta.keys && meta.keys.length > 0) return [...meta.keys];
  return Object.entries(meta.detailedDiff ?? {})
    .filter(([, diff]) => (diff.diffKind ?? diff.kind)?.endsWith("-replace"))
    .map(([property]) => property);
}

function changedProperties(meta: StepMetadata): string[] {
  if (meta.diffs && meta.diffs.length > 0) return [...meta.diffs];
  return Object.keys(meta.detailedDiff ?? {});
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The changes the events describe: one entry per resource (a replacement's steps fold into one). */
export function readPreviewEvents(events: EngineEvent[]): PreviewChanges {
  const byUrn = new Map<string, ChangedResource>();
  const errors: string[] = [];
  let stepPending: string[] | undefined;
  let stackOld: Record<string, unknown> | undefined;
  let stackNew: Record<string, unknown> | undefined;

  for (const event of events) {
    const diagnostic = event.diagnosticEvent;
    if (diagnostic?.severity === "error" && diagnostic.message) errors.push(diagnostic.message.trim());
    const meta = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
    if (!meta?.urn) continue;
    const type = meta.type ?? meta.urn.split("::")[2]?.split("$").pop() ?? "";
    if (type === STACK_TYPE) {
      stackOld = meta.old?.outputs ?? stackOld;
      if (event.resOutputsEvent) stackNew = meta.new?.outputs ?? stackNew;
      continue;
    }
    // The migration step (infra/providers/migrationStep.ts): its `check` lists what `up` would apply.
    if (type.endsWith(":MigrationStep")) {
      const pending = meta.new?.inputs?.pending;
      if (Array.isArray(pending)) stepPending = pending.map(String);
    }
    if (!event.resourcePreEvent) continue;
    const change = foldOp(meta.op ?? "");
    if (!change) continue;
    const properties = change === "replace" ? replacingProperties(meta) : change === "update" ? changedProperties(meta) : [];
    const known = byUrn.get(meta.urn);
    if (known && RANK[known.change] > RANK[change]) continue;
    if (known && known.change === change && known.properties.length > 0 && properties.length === 0) continue;
    byUrn.set(meta.urn, { change, urn: meta.urn, name: meta.urn.split("::").pop() ?? meta.urn, type, properties });
  }

  const outputs: OutputChange[] = [];
  if (stackNew) {
    const before = stackOld ?? {};
    for (const name of [...new Set([...Object.keys(before), ...Object.keys(stackNew)])].sort()) {
      const inBefore = Object.hasOwn(before, name);
      const inAfter = Object.hasOwn(stackNew, name);
      if (inBefore && !inAfter) outputs.push({ name, change: "removed", before: before[name] });
      else if (!inBefore && inAfter) outputs.push({ name, change: "added", after: stackNew[name] });
      else if (!sameValue(before[name], stackNew[name]))
        outputs.push({ name, change: "changed", before: before[name], after: stackNew[name] });
    }
  }
  return { resources: [...byUrn.values()], outputs, ...(stepPending ? { stepPending } : {}), errors };
}

export interface MigrationChanges {
  /** In the head, not in the base: what `up` of the head applies to the stack main built. */
  added: string[];
  /** In the base, gone from the head (already applied where main ran: `up` does not undo them). */
  removed: string[];
  /** In both, with different content (node-pg-migrate runs a name once: the edit never runs). */
  edited: string[];
  /** Added migrations that sort before the base's last one: node-pg-migrate's order check refuses them. */
  outOfOrder: string[];
}

/** Compares the migration files of the base and head commits. */
export function compareMigrations(
  base: Pick<MigrationSet, "names" | "digests">,
  head: Pick<MigrationSet, "names" | "digests">,
): MigrationChanges {
  const inBase = new Set(base.names);
  const inHead = new Set(head.names);
  const added = head.names.filter((name) => !inBase.has(name));
  const lastOfBase = base.names.at(-1);
  return {
    added,
    removed: base.names.filter((name) => !inHead.has(name)),
    edited: head.names.filter((name) => inBase.has(name) && base.digests[name] !== head.digests[name]),
    outOfOrder: lastOfBase === undefined ? [] : added.filter((name) => name < lastOfBase),
  };
}
