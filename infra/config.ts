import { z } from "zod";

/**
 * Every stack setting, read in one place and validated before any resource is registered.
 *
 * The keys, their types and their defaults are also declared in Pulumi.yaml (so `pulumi config` can
 * describe them); tests/unit/stack-config.test.ts keeps the two in step.
 */
export const CONFIG_NAMESPACE = "confradar";

const port = z.coerce
  .number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(0, "must be 0 (pick a free port) or a TCP port 1024..65535")
  .max(65535, "must be 0 (pick a free port) or a TCP port 1024..65535")
  .refine((p) => p === 0 || p >= 1024, "must be 0 (pick a free port) or a TCP port 1024..65535");

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => v === "true" || v === "false", "must be true or false")
  .transform((v) => v === "true");

const image = z
  .string()
  .trim()
  .min(1, "must name an image, e.g. postgres:16-alpine")
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/i, "must be an image reference like repository[:tag][@digest]");

const seconds = (min: number, max: number) =>
  z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number of seconds")
    .min(min, `must be at least ${min} seconds`)
    .max(max, `must be at most ${max} seconds`);

const count = (min: number, max: number) =>
  z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** Config keys with their parsers and defaults; the order is the order of docs/configuration.md. */
export const configShape = {
  postgresImage: image.default("postgres:16-alpine"),
  // 15 or newer: the server command sets client_connection_check_interval (14+), and from 15 on
  // PUBLIC cannot create in the public schema, which pg_database_owner (the migrator) owns; the
  // roles' least privilege rests on both.
  postgresMajorVersion: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(15, "must be at least 15 (older servers lack settings and schema rights the stack relies on)")
    .max(18, "must be at most 18")
    .default(16),
  postgresPort: port.default(0),
  databaseName: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier (letters, digits, _), at most 63 characters")
    .default("confradar"),
  stopGraceSeconds: seconds(60, 3600).default(90),
  healthIntervalSeconds: seconds(1, 300).default(10),
  healthStartIntervalSeconds: seconds(1, 60).default(1),
  healthTimeoutSeconds: seconds(1, 300).default(5),
  healthRetries: count(1, 100).default(30),
  healthStartPeriodSeconds: seconds(0, 600).default(60),
  waitTimeoutSeconds: seconds(10, 1800).default(180),
  retainVolume: bool.default(true),
  passwordVersion: count(1, 1_000_000).default(1),
  appNodeImage: image.default("node:24-bookworm-slim"),
  appPort: port.default(0),
  appPoolMax: count(1, 100).default(10),
  appPoolIdleTimeoutMs: count(0, 3_600_000).default(30_000),
  ingestIntervalSeconds: count(0, 86_400 * 7).default(3600),
  pgadminEnabled: bool.default(false),
  pgadminImage: image.default("dpage/pgadmin4:9"),
  pgadminPort: port.default(0),
  pgadminEmail: z.email("must be an e-mail address (pgAdmin's login)").default("admin@confradar.dev"),
} as const;

const stackConfigSchema = z
  .object(configShape)
  .strict()
  .superRefine((c, ctx) => {
    if (c.healthTimeoutSeconds > c.healthIntervalSeconds * 10) {
      ctx.addIssue({
        code: "custom",
        path: ["healthTimeoutSeconds"],
        message: "must be at most 10 × healthIntervalSeconds, or a hung check delays every probe",
      });
    }
    const fixedPorts = (["postgresPort", "appPort", "pgadminPort"] as const).filter((k) => c[k] !== 0);
    for (const [i, a] of fixedPorts.entries()) {
      for (const b of fixedPorts.slice(i + 1)) {
        if (c[a] === c[b]) {
          ctx.addIssue({ code: "custom", path: [b], message: `must differ from ${a} (both are ${c[a]})` });
        }
      }
    }
    const major = majorFromImageTag(c.postgresImage);
    if (major !== undefined && major !== c.postgresMajorVersion) {
      ctx.addIssue({
        code: "custom",
        path: ["postgresMajorVersion"],
        message: `must match the major version in postgresImage (${c.postgresImage} is ${major})`,
      });
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type ConfigKey = keyof typeof configShape;
export const configKeys = Object.keys(configShape) as ConfigKey[];

/** Raised when stack config is invalid; lists every bad key at once. */
export class StackConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid stack configuration (nothing was created):\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
        `Fix it with \`pulumi config set ${CONFIG_NAMESPACE}:KEY VALUE\` (see docs/configuration.md).`,
    );
    this.name = "StackConfigError";
  }
}

/**
 * Parses raw config strings (as `pulumi config` stores them) into a typed StackConfig.
 * Unknown keys in the namespace are errors too: a typo must not silently fall back to a default.
 */
export function parseStackConfig(raw: Readonly<Record<string, string | undefined>>): StackConfig {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ""));
  const result = stackConfigSchema.safeParse(defined);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return `${issue.keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}: unknown key; known keys are ${configKeys.join(", ")}`;
    }
    const key = String(issue.path[0] ?? "");
    const value = defined[key];
    const shown = value === undefined ? "(unset)" : JSON.stringify(value);
    return `${CONFIG_NAMESPACE}:${key} = ${shown} ${issue.message}`;
  });
  throw new StackConfigError(problems);
}

/** The major version an official-style tag names (postgres:16-alpine → 16), if it names one. */
export function majorFromImageTag(imageRef: string): number | undefined {
  const tag = imageRef.split("@")[0]!.split("/").pop()!.split(":")[1];
  const match = tag?.match(/^(\d+)(?:[.-]|$)/);
  return match ? Number(match[1]) : undefined;
}
