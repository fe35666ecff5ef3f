import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { appRoot } from "./paths.js";
import { redact } from "./redact.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppConfig {
  /** undefined = embedded PGlite at <repo>/.pglite/confradar (resolved by app/src/store). */
  databaseUrl: string | undefined;
  port: number;
  host: string;
  /** Host names the API answers to besides 127.0.0.1, localhost and ::1 (any port); ["*"] = any. */
  allowedHosts: string[];
  logLevel: LogLevel;
  pool: {
    max: number;
    idleTimeoutMs: number;
    connectionTimeoutMs: number;
    /** 0 = no limit. */
    statementTimeoutMs: number;
  };
  /** How long a rendered page is served to other readers (web/pageCache.ts); 0 = render every request. */
  pageCacheMs: number;
  /** Total time the start-up retry may wait for the database. */
  dbStartupTimeoutMs: number;
  /** 0 = the worker never runs an ingest on its own; only `npm run ingest` does. */
  ingestIntervalSeconds: number;
  /** Absolute path of the dataset the worker imports. */
  datasetPath: string;
  /** File the worker touches while healthy; the container health check reads its age. */
  workerHeartbeatFile: string;
}

export type Env = Record<string, string | undefined>;

/** Thrown by loadConfig; the message lists every bad variable with its value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration; fix these environment variables (see .env.example):\n` + problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

interface IntSpec {
  min: number;
  max: number;
  default: number;
  meaning?: string;
}

/** One variable's definition: how to parse it and what to say when it is wrong. */
interface VarSpec<T> {
  schema: z.ZodType<T>;
  allowed: string;
  secret?: boolean;
}

/** "*", an IP address (IPv6 with or without brackets), or a DNS name; never a port. */
function isHostEntry(entry: string): boolean {
  if (entry === "*" || isIP(entry.replace(/^\[(.*)\]$/, "$1")) !== 0) return true;
  return /^[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*\.?$/.test(entry);
}

function intVar(spec: IntSpec): VarSpec<number> {
  const extra = spec.meaning ? `; ${spec.meaning}` : "";
  return {
    schema: z
      .string()
      .trim()
      .regex(/^\d+$/)
      .transform(Number)
      .pipe(z.int().min(spec.min).max(spec.max))
      .optional()
      .transform((v) => v ?? spec.default),
    allowed: `an integer from ${spec.min} to ${spec.max} (default ${spec.default}${extra})`,
  };
}

const DATABASE_URL_FORMS = /^(postgres|postgresql):\/\/[^\s]+$|^pglite:memory$|^pglite:\/\/[^\s]+$/;

const specs = {
  DATABASE_URL: {
    schema: z
      .string()
      .trim()
      .regex(DATABASE_URL_FORMS)
      .optional()
      .transform((v) => (v === undefined || v === "" ? undefined : v)),
    allowed:
      "unset (embedded PGlite in .pglite/confradar), pglite://PATH, pglite:memory, or postgres://USER:PASSWORD@HOST:PORT/DB " +
      "(percent-encode a space or / @ : ? # in the user or password: %20, %2F, %40, %3A, %3F, %23)",
    secret: true,
  } satisfies VarSpec<string | undefined>,
  PORT: intVar({ min: 0, max: 65535, default: 3000, meaning: "0 = any free port" }),
  HOST: {
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9.:[\]-]+$/)
      .optional()
      .transform((v) => v || "127.0.0.1"),
    allowed: "a host name or IP address to listen on (default 127.0.0.1; the image sets 0.0.0.0)",
  } satisfies VarSpec<string>,
  ALLOWED_HOSTS: {
    schema: z
      .string()
      .optional()
      .transform((v) =>
        (v ?? "")
          .split(",")
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().refine(isHostEntry))),
    allowed:
      "comma-separated host names or IP addresses, without a port, that the API answers to besides 127.0.0.1, " +
      "localhost and ::1 (on any port), or * for any (default none; the deployed stack sets its api container's name)",
  } satisfies VarSpec<string[]>,
  LOG_LEVEL: {
    schema: z
      .enum(LOG_LEVELS)
      .optional()
      .transform((v) => v ?? "info"),
    allowed: `one of ${LOG_LEVELS.join(", ")} (default info)`,
  } satisfies VarSpec<LogLevel>,
  PG_POOL_MAX: intVar({ min: 1, max: 200, default: 10 }),
  PG_IDLE_TIMEOUT_MS: intVar({ min: 0, max: 3_600_000, default: 10_000, meaning: "0 = never close idle clients" }),
  PG_CONNECTION_TIMEOUT_MS: intVar({ min: 1, max: 300_000, default: 5_000 }),
  PG_STATEMENT_TIMEOUT_MS: intVar({ min: 0, max: 3_600_000, default: 30_000, meaning: "0 = no limit" }),
  PAGE_CACHE_MS: intVar({
    min: 0,
    max: 60_000,
    default: 1_000,
    meaning: "how long a rendered page is served to other readers; 0 = render every request",
  }),
  DB_STARTUP_TIMEOUT_MS: intVar({ min: 0, max: 3_600_000, default: 30_000, meaning: "0 = try once" }),
  INGEST_INTERVAL_SECONDS: intVar({
    min: 0,
    max: 31 * 24 * 3600,
    default: 3600,
    meaning: "0 = only on demand with `npm run ingest`",
  }),
  DATASET_PATH: {
    schema: z
      .string()
      .trim()
      .min(1)
      .optional()
      .transform((v) => v ?? "data/conferences.json"),
    allowed: "a path to the dataset JSON file, relative to the repository root or absolute (default data/conferences.json)",
  } satisfies VarSpec<string>,
  WORKER_HEARTBEAT_FILE: {
    schema: z
      .string()
      .trim()
      .min(1)
      .optional()
      .transform((v) => v ?? path.join(os.tmpdir(), "confradar-worker.heartbeat")),
    allowed: "a writable file path (default <tmpdir>/confradar-worker.heartbeat)",
  } satisfies VarSpec<string>,
};

export const CONFIG_VARIABLES = Object.keys(specs) as (keyof typeof specs)[];

type Parsed = { [K in keyof typeof specs]: (typeof specs)[K] extends VarSpec<infer T> ? T : never };

function showValue(value: string, secret: boolean | undefined): string {
  return JSON.stringify(secret ? redact(value) : value);
}

/**
 * Reads and validates the environment. Empty strings count as unset, so `PORT=` in a .env file
 * gives the default rather than an error.
 */
export function loadConfig(env: Env = process.env, root: string = appRoot): AppConfig {
  const problems: string[] = [];
  const parsed: Partial<Record<string, unknown>> = {};
  for (const name of CONFIG_VARIABLES) {
    const spec: VarSpec<unknown> = specs[name];
    const raw = env[name];
    const input = raw === undefined || raw.trim() === "" ? undefined : raw;
    const result = spec.schema.safeParse(input);
    if (result.success) parsed[name] = result.data;
    else problems.push(`${name}=${showValue(raw ?? "", spec.secret)} is not allowed: expected ${spec.allowed}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const v = parsed as Parsed;
  return {
    databaseUrl: v.DATABASE_URL,
    port: v.PORT,
    host: v.HOST,
    allowedHosts: v.ALLOWED_HOSTS,
    logLevel: v.LOG_LEVEL,
    pool: {
      max: v.PG_POOL_MAX,
      idleTimeoutMs: v.PG_IDLE_TIMEOUT_MS,
      connectionTimeoutMs: v.PG_CONNECTION_TIMEOUT_MS,
      statementTimeoutMs: v.PG_STATEMENT_TIMEOUT_MS,
    },
    pageCacheMs: v.PAGE_CACHE_MS,
    dbStartupTimeoutMs: v.DB_STARTUP_TIMEOUT_MS,
    ingestIntervalSeconds: v.INGEST_INTERVAL_SECONDS,
    datasetPath: path.resolve(root, v.DATASET_PATH),
    workerHeartbeatFile: path.resolve(root, v.WORKER_HEARTBEAT_FILE),
  };
}
