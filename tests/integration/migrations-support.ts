import { cp, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import ts from "typescript";
import { defaultMigrationsDir } from "../../app/src/migrate/index.js";
import { withAdmin as withClient } from "../helpers/server-clones.js";

/** A client on a connection string for the length of a function: the harness's one way (server-clones.ts). */
export { withClient };

/** A temporary copy of migrations/, optionally with extra files, for tests that must not touch the real folder. */
export async function migrationsCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "confradar-migrations-"));
  await cp(defaultMigrationsDir, dir, { recursive: true });
  for (const [name, body] of Object.entries(extra)) await writeFile(join(dir, name), body);
  return dir;
}

/** The migrations as tsc would emit them for the app image (ESM .js, types erased). */
export async function compiledMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "confradar-migrations-js-"));
  for (const file of await readdir(defaultMigrationsDir)) {
    if (!file.endsWith(".ts")) continue;
    const source = await (await import("node:fs/promises")).readFile(join(defaultMigrationsDir, file), "utf8");
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    await writeFile(join(dir, file.replace(/\.ts$/, ".js")), out.outputText);
  }
  // The app image's package.json says "type": "module"; so must this folder, or Node reads CJS.
  await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
  return dir;
}

export async function rows<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withClient(url, async (c) => (await c.query<T>(sql, params)).rows);
}

export const brokenMigration = `
export async function up(pgm) {
  pgm.createTable("half_applied_probe", { id: "id" });
  pgm.sql("SELECT * FROM table_that_does_not_exist");
}
export async function down(pgm) {
  pgm.dropTable("half_applied_probe");
}
`;
