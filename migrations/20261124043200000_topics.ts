import type { ColumnDefinitions, MigrationBuilder } from "node-pg-migrate";

export const shorthands: ColumnDefinitions | undefined = undefined;

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable("topics", {
    id: { type: "bigint", primaryKey: true, sequenceGenerated: { precedence: "ALWAYS" } },
    slug: { type: "text", notNull: true },
    name: { type: "text", notNull: true },
    created_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    updated_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
  });
  pgm.addConstraint("topics", "topics_slug_key", { unique: ["slug"] });
  pgm.addConstraint("topics", "topics_slug_format", { check: "slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'" });
  pgm.addConstraint("topics", "topics_name_not_blank", { check: "btrim(name) <> ''" });

  pgm.createTable("conference_topics", {
    conference_id: { type: "bigint", notNull: true, references: "conferences", onDelete: "CASCADE" },
    topic_id: { type: "bigint", notNull: true, references: "topics", onDelete: "CASCADE" },
    created_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    updated_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
  });
  pgm.addConstraint("conference_topics", "conference_topics_pkey", { primaryKey: ["conference_id", "topic_id"] });
  // The primary key serves "topics of a conference"; this serves "conferences with a topic".
  pgm.createIndex("conference_topics", "topic_id", { name: "conference_topics_topic_id_idx" });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable("conference_topics");
  pgm.dropTable("topics");
}
