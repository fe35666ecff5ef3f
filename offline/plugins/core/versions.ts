import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * The plugin version the SDK in node_modules asks for (its package.json `pulumi.version`): the
 * offline plugin answers for that version, so the engine's default provider stays the same one
 * whichever set runs, and switching sets replaces nothing.
 */
export function sdkPluginVersion(name: "docker" | "postgresql" | "random"): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`@pulumi/${name}/package.json`), "utf8")) as {
    version: string;
    pulumi?: { version?: string };
  };
  return manifest.pulumi?.version ?? manifest.version;
}
