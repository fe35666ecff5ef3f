import type { ColumnDefinitions, MigrationBuilder } from "node-pg-migrate";

export const shorthands: ColumnDefinitions | undefined = undefined;

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createType("deadline_kind", ["abstract", "paper", "supplementary", "rebuttal", "notification", "camera_ready"]);

  pgm.createTable("deadlines", {
    id: { type: "bigint", primaryKey: true, sequenceGenerated: { precedence: "ALWAYS" } },
    conference_id: { type: "bigint", notNull: true, references: "conferences", onDelete: "CASCADE" },
    kind: { type: "deadline_kind", notNull: true },
    due_at: { type: "timestamptz", notNull: true },
    // The label the call for papers used (AoE, UTC-12, PST, ...); due_at holds the exact instant.
    timezone_label: { type: "text", notNull: true, default: "AoE" },
    estimated: { type: "boolean", notNull: true, default: false },
    note: { type: "text" },
    created_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    updated_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
  });
  pgm.addConstraint("deadlines", "deadlines_conference_kind_key", { unique: ["conference_id", "kind"] });
  pgm.addConstraint("deadlines", "deadlines_timezone_label_not_blank", { check: "btrim(timezone_label) <> ''" });
  // "Upcoming deadlines" is a range scan on due_at.
  pgm.createIndex("deadlines", "due_at", { name: "deadlines_due_at_idx" });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable("deadlines");
  pgm.dropType("deadline_kind");
}
