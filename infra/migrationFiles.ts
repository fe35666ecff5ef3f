import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface MigrationFiles {
  /** Migration names (file names without extension), in the order node-pg-migrate runs them. */
  names: string[];
  /** sha256 over every file's name and content: changes exactly when the set of migrations does. */
  hash: string;
  /** sha256 of each file's content, by migration name: tells an edited migration from an unchanged one. */
  digests: Record<string, string>;
}

const MIGRATION_FILE = /^(?!.*\.d\.ts$).+\.(ts|js|sql)$/;

const stripExtension = (file: string) => file.replace(/\.(ts|js|sql)$/, "");

/** Reads the migrations folder the way node-pg-migrate orders it: by file name. */
export function readMigrationFiles(dir: string): MigrationFiles {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw new Error(`cannot read the migrations folder ${dir}: ${(err as Error).message}`);
  }
  const files = entries.filter((f) => MIGRATION_FILE.test(f)).sort();
  const hash = createHash("sha256");
  const digests: Record<string, string> = {};
  for (const file of files) {
    const content = readFileSync(path.join(dir, file));
    hash.update(file).update("\0").update(content).update("\0");
    digests[stripExtension(file)] = createHash("sha256").update(content).digest("hex");
  }
  return { names: files.map(stripExtension), hash: hash.digest("hex"), digests };
}
