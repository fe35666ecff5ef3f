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
 * Whether an image reference names a registry host (registry.example.com/app:1, localhost:5000/pg:16):
 * an image of the user's own, which no local build stands in for. Docker Hub names (postgres:16,
 * dpage/pgadmin4:9) have no host part.
 */
export function namesOwnRegistry(reference: string): boolean {
  const slash = reference.indexOf("/");
  if (slash < 0) return false;
  const first = reference.slice(0, slash);
  return first === "localhost" || first.includes(".") || first.includes(":");
}

/**
 * Config values that point a stack at the locally built images. The stack files keep the official
 * images as the product's defaults; these overrides go into a generated config file, never into a
 * committed one. An image the stack file takes from a registry of its own is kept as written (with
 * its postgresMajorVersion): a typo there must fail as the image it is, not run a stand-in.
 */
export function localImageConfig(images: LocalImages, stackConfig: Record<string, unknown> = {}): Record<string, string> {
  const own = (key: string) => namesOwnRegistry(String(stackConfig[`confradar:${key}`] ?? ""));
  return {
    ...(own("postgresImage")
      ? {}
      : { "confradar:postgresImage": images.postgres, "confradar:postgresMajorVersion": majorOf(images.postgres) }),
    ...(own("appNodeImage") ? {} : { "confradar:appNodeImage": images.node }),
    ...(own("pgadminImage") ? {} : { "confradar:pgadminImage": images.pgadmin }),
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
