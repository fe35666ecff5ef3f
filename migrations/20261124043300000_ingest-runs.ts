import type { ColumnDefinitions, MigrationBuilder } from "node-pg-migrate";

export const shorthands: ColumnDefinitions | undefined = undefined;

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createType("ingest_status", ["running", "succeeded", "failed"]);

  pgm.createTable("ingest_runs", {
    id: { type: "bigint", primaryKey: true, sequenceGenerated: { precedence: "ALWAYS" } },
    started_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    finished_at: { type: "timestamptz" },
    status: { type: "ingest_status", notNull: true, default: "running" },
    trigger: { type: "text", notNull: true },
    dataset_name: { type: "text" },
    dataset_version: { type: "text" },
    rows_inserted: { type: "integer", notNull: true, default: 0 },
    rows_updated: { type: "integer", notNull: true, default: 0 },
    rows_unchanged: { type: "integer", notNull: true, default: 0 },
    error: { type: "text" },
    created_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    updated_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
  });
  pgm.addConstraint("ingest_runs", "ingest_runs_trigger_valid", { check: "trigger IN ('schedule', 'manual')" });
  pgm.addConstraint("ingest_runs", "ingest_runs_counts_non_negative", {
    check: "rows_inserted >= 0 AND rows_updated >= 0 AND rows_unchanged >= 0",
  });
  // A run is finished exactly when it is no longer running, and a failure always says why.
  pgm.addConstraint("ingest_runs", "ingest_runs_finished_iff_done", {
    check: "(status = 'running') = (finished_at IS NULL)",
  });
  pgm.addConstraint("ingest_runs", "ingest_runs_failed_has_error", {
    check: "status <> 'failed' OR error IS NOT NULL",
  });
  pgm.addConstraint("ingest_runs", "ingest_runs_finished_after_start", { check: "finished_at >= started_at" });
  pgm.createIndex("ingest_runs", [{ name: "started_at", sort: "DESC" }], { name: "ingest_runs_started_at_idx" });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable("ingest_runs");
  pgm.dropType("ingest_status");
}
