import type { ColumnDefinitions, MigrationBuilder } from "node-pg-migrate";

export const shorthands: ColumnDefinitions | undefined = undefined;

const tables = ["sources", "conferences", "deadlines", "topics", "conference_topics", "ingest_runs"];

export async function up(pgm: MigrationBuilder): Promise<void> {
  // Keeps updated_at honest whoever writes the row; an explicit new value in the UPDATE still wins.
  pgm.createFunction(
    "set_updated_at",
    [],
    { returns: "trigger", language: "plpgsql", replace: false },
    `BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END;`,
  );
  for (const table of tables) {
    pgm.createTrigger(table, `${table}_set_updated_at`, {
      when: "BEFORE",
      operation: "UPDATE",
      level: "ROW",
      function: "set_updated_at",
    });
  }
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  for (const table of tables) pgm.dropTrigger(table, `${table}_set_updated_at`);
  pgm.dropFunction("set_updated_at", []);
}
