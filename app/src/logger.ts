import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";
import { MASK, redact } from "./redact.js";

export type { Logger } from "pino";

const PASSWORD_KEYS = ["password", "PGPASSWORD", "pgPassword", "secret", "token"];

/** Field paths pino replaces with ***, at the top level and one level down (e.g. `db.password`). */
export const REDACT_PATHS = [...PASSWORD_KEYS.flatMap((k) => [k, `*.${k}`]), "req.headers.authorization", "req.headers.cookie"];

const MAX_DEPTH = 6;

/** A plain object, or pino's serialized error (whose prototype carries no class of its own). */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as { constructor?: unknown } | null;
  return proto === null || proto.constructor === Object;
}

/**
 * A copy of `value` with `redact` applied to every string in it, through plain objects and
 * arrays only: class instances (a request, an Error) are left to their serializers, which see the
 * original. Deeper than MAX_DEPTH is dropped rather than walked.
 */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redact(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, depth + 1)]));
}

/**
 * The app's pino logger. Passwords never reach the output: known password fields are replaced,
 * and every string, in the message, in the fields and in a serialized error (message, stack,
 * cause, and properties such as a URL error's `input`), goes through `redact`.
 */
export function createLogger(options: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  const opts = {
    level: options.level ?? "info",
    name: options.name ?? "confradar",
    redact: { paths: REDACT_PATHS, censor: MASK },
    formatters: { log: (fields: Record<string, unknown>) => scrub(fields) as Record<string, unknown> },
    serializers: { err: (err: Error) => scrub(stdSerializers.err(err)) },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger["info"]>, method: (...a: unknown[]) => void) {
        method.apply(
          this,
          (args as unknown[]).map((a) => (typeof a === "string" ? redact(a) : a)),
        );
      },
    },
  };
  return destination ? pino(opts, destination) : pino(opts);
}
