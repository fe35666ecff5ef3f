import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * <repo>/migrations, found relative to this module: app/src/migrate -> ../../../migrations. A tsc
 * build with the repository root as rootDir keeps that layout (dist/app/src/migrate ->
 * dist/migrations), so the compiled image finds its compiled migrations the same way.
 * MIGRATIONS_DIR overrides it.
 */
export const defaultMigrationsDir: string = process.env.MIGRATIONS_DIR
  ? resolve(process.env.MIGRATIONS_DIR)
  : resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "migrations");

export type MigrationLanguage = "ts" | "js";

/** The sort key of a name's numeric prefix: a 17-digit UTC stamp counts as its epoch milliseconds. */
export function migrationPrefixValue(name: string): number {
  const prefix = /^(\d+)/.exec(name)?.[1];
  if (prefix === undefined) {
    throw new Error(`Migration '${name}' has no numeric prefix: create it with npm run migrate:create NAME`);
  }
  if (prefix.length === 17) {
    const iso = `${prefix.slice(0, 4)}-${prefix.slice(4, 6)}-${prefix.slice(6, 8)}T${prefix.slice(8, 10)}:${prefix.slice(10, 12)}:${prefix.slice(12, 14)}.${prefix.slice(14)}Z`;
    return new Date(iso).valueOf();
  }
  return Number(prefix);
}

/** The order node-pg-migrate applies files in: numeric prefix first, then a numeric-aware name compare. */
export function compareMigrationNames(a: string, b: string): number {
  return (
    migrationPrefixValue(a) - migrationPrefixValue(b) ||
    a.localeCompare(b, undefined, { usage: "sort", numeric: true, sensitivity: "variant", ignorePunctuation: true })
  );
}

/** A file is a migration if it is `NAME.ts` (not `.d.ts`) or `NAME.js` and not hidden. */
export function migrationFileLanguage(fileName: string): MigrationLanguage | null {
  if (fileName.startsWith(".")) return null;
  if (fileName.endsWith(".d.ts")) return null;
  if (fileName.endsWith(".ts")) return "ts";
  if (fileName.endsWith(".js")) return "js";
  return null;
}

/**
 * Decides which files of a folder are the migrations. A source checkout holds `.ts`; the app image
 * holds tsc's `.js` output. If both are present, `.ts` wins (tsc output next to its source would
 * otherwise be applied twice under the same name).
 */
export function chooseMigrationFiles(fileNames: string[]): { language: MigrationLanguage; files: string[] } {
  const ts = fileNames.filter((f) => migrationFileLanguage(f) === "ts");
  const js = fileNames.filter((f) => migrationFileLanguage(f) === "js");
  const language: MigrationLanguage = ts.length > 0 || js.length === 0 ? "ts" : "js";
  const files = (language === "ts" ? ts : js).sort((a, b) => compareMigrationNames(stripExt(a), stripExt(b)));
  return { language, files };
}

/** node-pg-migrate's ignorePattern (anchored regex on the file name) that keeps only `language` files. */
export function ignorePatternFor(language: MigrationLanguage): string {
  // node-pg-migrate anchors it as `^${pattern}$`: the group keeps every alternative anchored.
  return language === "ts" ? String.raw`(?:\..*|.*\.d\.ts|(?!.*\.ts$).*)` : String.raw`(?:\..*|(?!.*\.js$).*)`;
}

export function stripExt(fileName: string): string {
  return fileName.replace(/\.(d\.)?[cm]?[jt]s$/, "");
}

/** The migrations of a folder, as node-pg-migrate will apply them: the one reading of migrations/. */
export interface MigrationSet {
  /** Which files node-pg-migrate loads (chooseMigrationFiles): "ts" in a checkout, "js" in the app image. */
  language: MigrationLanguage;
  /** File names, in the order they apply. */
  files: string[];
  /** The same files as absolute paths. */
  paths: string[];
  /** Migration names (file names without extension), in the order they apply: the ledger's names. */
  names: string[];
  /** sha256 over every file's name and content: changes exactly when the set of migrations does. */
  hash: string;
  /** sha256 of each file's content, by migration name: tells an edited migration from an unchanged one. */
  digests: Record<string, string>;
}

/** The migration files of a folder, in the order they apply: a directory listing, no file read. */
export function listMigrationFiles(
  migrationsDir: string = defaultMigrationsDir,
): Pick<MigrationSet, "language" | "files" | "paths" | "names"> {
  let entries: string[];
  try {
    entries = readdirSync(migrationsDir);
  } catch (error) {
    throw new Error(`Cannot read the migrations folder ${migrationsDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const { language, files } = chooseMigrationFiles(entries);
  return { language, files, paths: files.map((f) => join(migrationsDir, f)), names: files.map(stripExt) };
}

/**
 * Reads a migrations folder, contents included (synchronously: the Pulumi program reads it while it
 * builds resources). Every view of the migrations (the app's status, the infra's migration step, the
 * pull request preview) comes from this or from listMigrationFiles.
 */
export function readMigrationSet(migrationsDir: string = defaultMigrationsDir): MigrationSet {
  const listed = listMigrationFiles(migrationsDir);
  const hash = createHash("sha256");
  const digests: Record<string, string> = {};
  for (const [i, file] of listed.files.entries()) {
    const content = readFileSync(listed.paths[i]!);
    hash.update(`${file}\0`).update(content).update("\0");
    digests[listed.names[i]!] = createHash("sha256").update(content).digest("hex");
  }
  return { ...listed, hash: hash.digest("hex"), digests };
}

/** Migration names (file names without extension) in the order they apply. */
export async function listMigrationNames(migrationsDir: string = defaultMigrationsDir): Promise<string[]> {
  // Called on every /readyz probe: the listing only, not the files' contents.
  return listMigrationFiles(migrationsDir).names;
}

/**
 * A short digest of the migrations (names and contents, in order): what a store migrated from this
 * folder holds. Keys the embedded store's migrated seed (app/src/store/pglite.ts).
 */
export async function migrationsKey(migrationsDir: string = defaultMigrationsDir): Promise<string> {
  return readMigrationSet(migrationsDir).hash.slice(0, 16);
}
