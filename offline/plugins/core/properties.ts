/**
 * The engine's wire values, as google.protobuf.Struct turned into plain JavaScript: secrets and
 * unknowns travel as special objects and strings (sdk/go/common/resource/plugin/rpc.go). These pure
 * helpers turn them into plain values the handlers work on, and back.
 */

/** Key and value that mark a special object (a secret, an asset, a resource reference). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The string the engine sends for a value that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type WireValue = unknown;
export type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isSecretWrapper(value: unknown): value is { [SIG_KEY]: string; value: unknown } {
  return isPlainObject(value) && value[SIG_KEY] === SECRET_SIG;
}

/** True when the value, or anything inside it, is not known yet. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isPlainObject(value)) return Object.values(value).some(containsUnknown);
  return false;
}

/** The value without its secret markers, and whether it held a secret anywhere. */
export function revealValue(value: WireValue): { value: unknown; secret: boolean } {
  if (isSecretWrapper(value)) return { value: revealValue(value.value).value, secret: true };
  if (Array.isArray(value)) {
    let secret = false;
    const items = value.map((item) => {
      const revealed = revealValue(item);
      secret ||= revealed.secret;
      return revealed.value;
    });
    return { value: items, secret };
  }
  if (isPlainObject(value)) {
    let secret = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const revealed = revealValue(item);
      secret ||= revealed.secret;
      return [key, revealed.value] as const;
    });
    return { value: Object.fromEntries(entries), secret };
  }
  return { value, secret: false };
}

/**
 * A property bag in plain values, with the names of the top-level properties that held a secret
 * anywhere inside them. Secrecy is kept per top-level property: a secret nested in a list (one
 * upload's content) makes the whole list secret, which never reveals more than the engine sent.
 */
export interface RevealedProperties {
  values: PlainObject;
  secretKeys: Set<string>;
}

export function revealProperties(wire: PlainObject | undefined): RevealedProperties {
  const values: PlainObject = {};
  const secretKeys = new Set<string>();
  for (const [key, item] of Object.entries(wire ?? {})) {
    const revealed = revealValue(item);
    values[key] = revealed.value;
    if (revealed.secret) secretKeys.add(key);
  }
  return { values, secretKeys };
}

export function secretWrapper(value: unknown): PlainObject {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** Plain values back to wire values, wrapping each named top-level property as a secret. */
export function concealProperties(values: PlainObject, secretKeys: Iterable<string>): PlainObject {
  const secrets = new Set(secretKeys);
  const wire: PlainObject = {};
  for (const [key, item] of Object.entries(values)) {
    if (item === undefined) continue;
    wire[key] = secrets.has(key) ? secretWrapper(item) : item;
  }
  return wire;
}

/** Deep equality for JSON-like values; object key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!deepEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/** Drops undefined and null members (the wire has no undefined; the SDK sends null for an unset Input). */
export function compact(values: PlainObject): PlainObject {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * The value without the official bridged providers' bookkeeping (`__defaults` lists, at any depth),
 * so inputs they recorded compare equal to the same inputs from the offline plugins.
 */
export function withoutBookkeeping(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBookkeeping);
  if (isPlainObject(value) && !isSecretWrapper(value))
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "__defaults")
        .map(([k, v]) => [k, withoutBookkeeping(v)]),
    );
  return value;
}
