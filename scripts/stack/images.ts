import { readFileSync } from "node:fs";
import path from "node:path";

/** The tags of the images scripts/images/build makes here (images/local-images.json). */
export interface LocalImages {
  postgres: string;
  node: string;
  pgadmin: string;
}

export type ImageMode = "official" | "local";

export function readLocalImages(repoRoot: string): LocalImages {
  const file = path.join(repoRoot, "images", "local-images.json");
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<LocalImages>;
  for (const key of ["postgres", "node", "pgadmin"] as const) {
    if (typeof parsed[key] !== "string") throw new Error(`${file} has no "${key}" image tag`);
  }
  return parsed as LocalImages;
}

/** The major version a local postgres tag names (confradar-local/postgres:15 → 15). */
function majorOf(tag: string): string {
  const major = tag.split(":").pop()?.match(/^\d+/)?.[0];
  if (!major) throw new Error(`cannot tell the PostgreSQL major version from the image tag ${tag}`);
  return major;
}

/**
 * Config values that point a stack at the locally built images. The stack files keep the official
 * images as the product's defaults; these overrides go into a generated config file, never into a
 * committed one.
 */
export function localImageConfig(images: LocalImages): Record<string, string> {
  return {
    "confradar:postgresImage": images.postgres,
    "confradar:postgresMajorVersion": majorOf(images.postgres),
    "confradar:appNodeImage": images.node,
    "confradar:pgadminImage": images.pgadmin,
  };
}

/**
 * Which images a run uses. CONFRADAR_IMAGES=official|local decides; unset, the official images are
 * used when Docker already has the PostgreSQL one (or can pull it), else the local ones when built.
 */
export function chooseImageMode(setting: string | undefined, officialPostgresPresent: boolean, localPresent: boolean): ImageMode {
  if (setting === "official" || setting === "local") return setting;
  if (setting !== undefined && setting !== "") {
    throw new Error(
      `CONFRADAR_IMAGES="${setting}" is not understood: use "official", "local", or leave it unset to choose automatically`,
    );
  }
  if (officialPostgresPresent || !localPresent) return "official";
  return "local";
}
