import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../../app/src/paths.js";

/** The `confradar:*` values of a committed stack file, without the namespace. */
export function stackFileConfig(stack: string): Record<string, string> {
  const doc = parse(readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(doc.config ?? {})
      .filter(([key]) => key.startsWith("confradar:"))
      .map(([key, value]) => [key.slice("confradar:".length), String(value)]),
  );
}
