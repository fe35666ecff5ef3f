/**
 * What one offline resource implements, and the pure decisions shared by all of them: which input
 * properties are implemented, which changes replace, and the diff the engine shows.
 */
import { compact, containsUnknown, deepEqual, type PlainObject } from "./properties.js";

/** How a change of one input property is applied: in place, or by replacing the resource. */
export type ChangeRule = "replace" | "update";

/**
 * The implemented input properties of a resource and the rule for each, keyed by the official
 * SDK's input type: a property renamed or removed in an SDK upgrade fails the type check here.
 */
export type PropertyRules<Inputs> = { readonly [K in keyof Required<Inputs>]?: ChangeRule };

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface OperationContext<Session> {
  urn: string;
  /** The resource's name in the program. */
  name: string;
  /** Seconds the engine allows for the operation (custom timeouts); 0 when none was set. */
  timeoutSeconds: number;
  session: Session;
}

export interface ReadResult<Inputs, State> {
  id: string;
  state: State;
  /** The inputs as the live object shows them; refresh records them so the next diff sees drift. */
  inputs: Inputs;
}

/** A resource that exists but did not become ready: the engine keeps it in the state and fails. */
export class ResourceInitError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly state: PlainObject,
  ) {
    super(message);
  }
}

export interface ResourceHandler<Inputs extends object, State extends object, Session> {
  /** The official type token, e.g. docker:index/container:Container. */
  readonly token: string;
  readonly rules: PropertyRules<Inputs>;
  /** Output properties the official schema marks secret (kept secret whatever the inputs were). */
  readonly secretOutputs?: readonly string[];
  /** List properties that are sets in the official schema: their order never counts as a change. */
  readonly unordered?: readonly string[];
  /** Replacements remove the old object first (it holds a name or a port the new one needs). */
  readonly deleteBeforeReplace?: boolean;
  /** The provider's defaults filled in, as the official provider records them. Pure. */
  withDefaults?(inputs: Inputs): Inputs;
  /** Adds what `check` records beside the inputs and may read from disk (an image's context digest). */
  prepare?(inputs: Inputs): Inputs;
  /** Checks values (not names: those the server checks against `rules`). Skips unknown values. Pure. */
  validate?(inputs: Inputs): CheckFailure[];
  create(inputs: Inputs, ctx: OperationContext<Session>): Promise<{ id: string; state: State }>;
  /** The live object, or undefined when it is gone (the engine then drops it from the state). */
  read(id: string, state: State, inputs: Inputs, ctx: OperationContext<Session>): Promise<ReadResult<Inputs, State> | undefined>;
  /** Applies changes of "update" properties. Absent when every implemented property replaces. */
  update?(id: string, state: State, news: Inputs, olds: Inputs, ctx: OperationContext<Session>): Promise<State>;
  delete(id: string, state: State, inputs: Inputs, ctx: OperationContext<Session>): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResourceHandler<Session> = ResourceHandler<any, any, Session>;

/** The engine's kinds of property change (pulumirpc.PropertyDiff.Kind). */
export const DiffKind = { ADD: 0, ADD_REPLACE: 1, DELETE: 2, DELETE_REPLACE: 3, UPDATE: 4, UPDATE_REPLACE: 5 } as const;
export type DiffKindValue = (typeof DiffKind)[keyof typeof DiffKind];

export interface InputDiff {
  /** Changed properties, in rule order. */
  changed: string[];
  /** Changed properties whose rule is "replace". */
  replaces: string[];
  detailed: Record<string, DiffKindValue>;
}

/** Property names in `values` that `rules` does not implement (the engine's own `__` keys aside). */
export function unimplementedProperties(rules: PropertyRules<object>, values: PlainObject): string[] {
  return Object.keys(compact(values)).filter((key) => !key.startsWith("__") && !Object.hasOwn(rules, key));
}

/**
 * The diff of old and new inputs over the implemented properties. Both sides carry the provider's
 * defaults already, so an input left out and its default written out compare equal. A value not
 * known yet counts as a change.
 */
export function diffInputs(
  rules: PropertyRules<object>,
  olds: PlainObject,
  news: PlainObject,
  unordered: readonly string[] = [],
): InputDiff {
  const result: InputDiff = { changed: [], replaces: [], detailed: {} };
  for (const [key, rule] of Object.entries(rules) as [string, ChangeRule][]) {
    const asSet = unordered.includes(key);
    const before = asSet ? sortedSet(olds[key]) : (olds[key] ?? undefined);
    const after = asSet ? sortedSet(news[key]) : (news[key] ?? undefined);
    if (!containsUnknown(after) && deepEqual(before, after)) continue;
    // An empty list and an absent one mean the same to every provider here.
    if (isEmpty(before) && isEmpty(after)) continue;
    const replace = rule === "replace";
    result.changed.push(key);
    if (replace) result.replaces.push(key);
    const kind =
      before === undefined
        ? replace
          ? DiffKind.ADD_REPLACE
          : DiffKind.ADD
        : after === undefined
          ? replace
            ? DiffKind.DELETE_REPLACE
            : DiffKind.DELETE
          : replace
            ? DiffKind.UPDATE_REPLACE
            : DiffKind.UPDATE;
    result.detailed[key] = kind;
  }
  return result;
}

/** A list in a canonical order (by each item's JSON), for set-typed properties. */
function sortedSet(value: unknown): unknown {
  if (!Array.isArray(value) || containsUnknown(value)) return value ?? undefined;
  return [...value].sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0)
  );
}

/** The inputs restricted to the implemented properties, without null and undefined members. */
export function implementedInputs(rules: PropertyRules<object>, values: PlainObject): PlainObject {
  return Object.fromEntries(Object.entries(compact(values)).filter(([key]) => Object.hasOwn(rules, key)));
}
