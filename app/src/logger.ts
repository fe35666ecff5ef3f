import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";
import { MASK, maskUrlPassword } from "./redact.js";

export { maskUrlPassword, describePostgresUrl } from "./redact.js";
export type { Logger } from "pino";

const PASSWORD_KEYS = ["password", "PGPASSWORD", "pgPassword", "secret", "token"];
const URL_KEYS = ["databaseUrl", "DATABASE_URL", "connectionString", "url", "TEST_DATABASE_URL"];

/** Field paths pino redacts, at the top level and one level down (e.g. `db.connectionString`). */
export const REDACT_PATHS = [
  ...[...PASSWORD_KEYS, ...URL_KEYS].flatMap((k) => [k, `*.${k}`]),
  "req.headers.authorization",
  "req.headers.cookie",
];

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? "";
  if (URL_KEYS.includes(key) && typeof value === "string") return maskUrlPassword(value);
  return MASK;
}

/**
 * The app's pino logger. Passwords never reach the output: known fields are redacted, URLs in
 * fields and messages get their password masked, and error messages and stacks are scrubbed
 * too (a pg error can quote a connection string).
 */
export function createLogger(options: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  const opts = {
    level: options.level ?? "info",
    name: options.name ?? "confradar",
    redact: { paths: REDACT_PATHS, censor },
    serializers: {
      err: (err: Error) => {
        const s = stdSerializers.err(err);
        if (typeof s.message === "string") s.message = maskUrlPassword(s.message);
        if (typeof s.stack === "string") s.stack = maskUrlPassword(s.stack);
        return s;
      },
    },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger["info"]>, method: (...a: unknown[]) => void) {
        method.apply(
          this,
          (args as unknown[]).map((a) => (typeof a === "string" ? maskUrlPassword(a) : a)),
        );
      },
    },
  };
  return destination ? pino(opts, destination) : pino(opts);
}
