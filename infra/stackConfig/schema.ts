import { z } from "zod";

/**
 * Every stack setting, read in one place and validated before any resource is registered.
 *
 * The keys, their types and their defaults are also declared in Pulumi.yaml (so `pulumi config` can
 * describe them); tests/unit/stack-config.test.ts keeps the two in step.
 */
export const CONFIG_NAMESPACE = "confradar";

/** The settings that publish a port on 127.0.0.1 (0: Docker picks a free one). */
export const HOST_PORT_SETTINGS = ["postgresPort", "appPort", "pgadminPort"] as const;
export type HostPortSetting = (typeof HOST_PORT_SETTINGS)[number];

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

/** A host name or IP address, as a client would dial it (no scheme, port or path). */
const hostName = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9.\-:]*[A-Za-z0-9])?$/,
    "must be a host name or IP address, e.g. db.example.internal (no scheme, port or path)",
  );

/** libpq's TLS modes a stack may use for an existing server (pg's client treats all but disable as verifying). */
export const SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** Where the stack's PostgreSQL comes from. */
export const POSTGRES_SOURCES = ["docker", "existing"] as const;
export type PostgresSource = (typeof POSTGRES_SOURCES)[number];

/** The keys that describe an existing server; only meaningful with postgresSource = existing. */
export const EXISTING_SERVER_KEYS = [
  "existingServerHost",
  "existingServerPort",
  "existingServerAppHost",
  "existingServerAdminUser",
  "existingServerAdminPassword",
  "existingServerAdminDatabase",
  "existingServerSslMode",
  "existingServerSslRootCert",
  "retainDatabase",
] as const;

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
  appEnabled: bool.default(true),
  postgresSource: z.enum(POSTGRES_SOURCES, { error: `must be one of ${POSTGRES_SOURCES.join(", ")}` }).default("docker"),
  existingServerHost: hostName.default(""),
  existingServerPort: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1, "must be a TCP port 1..65535")
    .max(65535, "must be a TCP port 1..65535")
    .default(5432),
  existingServerAppHost: hostName.default(""),
  existingServerAdminUser: z
    .string()
    .trim()
    .regex(/^[A-Za-z_][A-Za-z0-9_$.@-]{0,62}$/, "must be a role name, e.g. confradar_admin")
    .default(""),
  existingServerAdminPassword: z.string().default(""),
  existingServerAdminDatabase: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, "must be a database name, e.g. postgres")
    .default("postgres"),
  existingServerSslMode: z.enum(SSL_MODES, { error: `must be one of ${SSL_MODES.join(", ")}` }).default("verify-full"),
  existingServerSslRootCert: z.string().trim().default(""),
  retainDatabase: bool.default(true),
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
    const fixedPorts = HOST_PORT_SETTINGS.filter((k) => c[k] !== 0);
    for (const [i, a] of fixedPorts.entries()) {
      for (const b of fixedPorts.slice(i + 1)) {
        if (c[a] === c[b]) {
          ctx.addIssue({ code: "custom", path: [b], message: `must differ from ${a} (both are ${c[a]})` });
        }
      }
    }
    if (c.postgresSource === "existing") {
      for (const key of ["existingServerHost", "existingServerAdminUser", "existingServerAdminPassword"] as const) {
        if (c[key] === "")
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `is required with postgresSource = existing (${EXISTING_REQUIRED_HINT[key]})`,
          });
      }
      if (c.pgadminEnabled)
        ctx.addIssue({
          code: "custom",
          path: ["pgadminEnabled"],
          message: "must be false with postgresSource = existing (use the provider's console or pgAdmin of your own)",
        });
      if (
        (c.existingServerSslMode === "verify-ca" || c.existingServerSslMode === "require") &&
        c.existingServerSslRootCert === ""
      )
        ctx.addIssue({
          code: "custom",
          path: ["existingServerSslRootCert"],
          message: `is required with existingServerSslMode = ${c.existingServerSslMode} (the server's CA bundle, e.g. RDS's global-bundle.pem); or use verify-full with a publicly trusted certificate`,
        });
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

const EXISTING_REQUIRED_HINT = {
  existingServerHost: "the server's address, e.g. the RDS endpoint",
  existingServerAdminUser: "a role with CREATEROLE and CREATEDB, see docs/configuration.md",
  existingServerAdminPassword: "set it with `pulumi config set --secret confradar:existingServerAdminPassword`",
} as const;

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
export function parseStackConfig(
  raw: Readonly<Record<string, string | undefined>>,
  secretKeys: ReadonlySet<string> = new Set(),
): StackConfig {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ""));
  const result = stackConfigSchema.safeParse(defined);
  const extra: string[] = [];
  const source = defined.postgresSource ?? "docker";
  if (source === "docker") {
    // The CLI hands the program Pulumi.yaml's declared defaults as values (5432, postgres,
    // verify-full, true): only a value other than the default was set for the other mode.
    const defaults = stackConfigSchema.parse({}) as Record<string, unknown>;
    const stray = EXISTING_SERVER_KEYS.filter((key) => defined[key] !== undefined && defined[key] !== String(defaults[key]));
    if (stray.length > 0)
      extra.push(
        `${stray.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}: only used with ${CONFIG_NAMESPACE}:postgresSource = existing (this stack runs PostgreSQL in Docker); remove them or set postgresSource`,
      );
  }
  // The password must never sit in a stack file in plain text.
  if (defined.existingServerAdminPassword !== undefined && !secretKeys.has("existingServerAdminPassword"))
    extra.push(
      `${CONFIG_NAMESPACE}:existingServerAdminPassword is stored in plain text: set it again with ` +
        `\`pulumi config set --secret ${CONFIG_NAMESPACE}:existingServerAdminPassword\``,
    );
  if (result.success && extra.length === 0) return result.data;
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return `${issue.keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}: unknown key; known keys are ${configKeys.join(", ")}`;
    }
    const key = String(issue.path[0] ?? "");
    const value = defined[key];
    const shown = value === undefined ? "(unset)" : JSON.stringify(value);
    // A secret's value is never echoed.
    const safe = key === "existingServerAdminPassword" && value !== undefined ? "[secret]" : shown;
    return `${CONFIG_NAMESPACE}:${key} = ${safe} ${issue.message}`;
  });
  throw new StackConfigError([...problems, ...extra]);
}

/** The major version an official-style tag names (postgres:16-alpine → 16), if it names one. */
export function majorFromImageTag(imageRef: string): number | undefined {
  const tag = imageRef.split("@")[0]!.split("/").pop()!.split(":")[1];
  const match = tag?.match(/^(\d+)(?:[.-]|$)/);
  return match ? Number(match[1]) : undefined;
}
