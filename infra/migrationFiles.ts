import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface MigrationFiles {
  /** Migration names (file names without extension), in the order node-pg-migrate runs them. */
  names: string[];
  /** sha256 over every file's name and content: changes exactly when the set of migrations does. */
  hash: string;
}

const MIGRATION_FILE = /^(?!.*\.d\.ts$).+\.(ts|js|sql)$/;

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
  for (const file of files) {
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(path.join(dir, file)))
      .update("\0");
  }
  return { names: files.map((f) => f.replace(/\.(ts|js|sql)$/, "")), hash: hash.digest("hex") };
}
