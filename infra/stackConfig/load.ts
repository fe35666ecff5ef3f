import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseStackConfig, type StackConfig } from "./schema.js";

/**
 * The SDK's own test for "this key was set with --secret" (the language host passes the secret keys
 * in PULUMI_CONFIG_SECRET_KEYS). Marked internal in @pulumi/pulumi 3.248, hence the narrow cast.
 */
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;

/** Reads every `confradar:*` key of the current stack and validates them together. */
export function loadStackConfig(): StackConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    raw[name] = value;
    if (isConfigSecret?.(key)) secretKeys.add(name);
  }
  // An engine that does not say which keys are secret cannot be judged: trust it rather than refuse.
  const engineReportsSecrets = Boolean(process.env.PULUMI_CONFIG_SECRET_KEYS) || secretKeys.size > 0;
  return parseStackConfig(raw, engineReportsSecrets ? secretKeys : new Set(Object.keys(raw)));
}
