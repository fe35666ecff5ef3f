import type { ColumnDefinitions, MigrationBuilder } from "node-pg-migrate";

export const shorthands: ColumnDefinitions | undefined = undefined;

const identity = { type: "bigint", primaryKey: true, sequenceGenerated: { precedence: "ALWAYS" } } as const;

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createType("conference_format", ["in_person", "online", "hybrid"]);

  pgm.createTable("sources", {
    id: identity,
    dataset_name: { type: "text", notNull: true },
    dataset_version: { type: "text", notNull: true },
    url: { type: "text", notNull: true },
    first_seen_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    last_seen_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    created_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    updated_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
  });
  pgm.addConstraint("sources", "sources_url_http", { check: "url ~ '^https?://'" });
  pgm.addConstraint("sources", "sources_seen_order", { check: "last_seen_at >= first_seen_at" });
  pgm.addConstraint("sources", "sources_dataset_url_key", { unique: ["dataset_name", "url"] });

  pgm.createTable("conferences", {
    id: identity,
    acronym: { type: "text", notNull: true },
    name: { type: "text", notNull: true },
    edition_year: { type: "integer", notNull: true },
    website: { type: "text" },
    city: { type: "text" },
    country: { type: "text" },
    format: { type: "conference_format", notNull: true, default: "in_person" },
    start_date: { type: "date" },
    end_date: { type: "date" },
    dates_estimated: { type: "boolean", notNull: true, default: false },
    source_id: { type: "bigint", references: "sources", onDelete: "SET NULL" },
    created_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
    updated_at: { type: "timestamptz", notNull: true, default: pgm.func("now()") },
  });
  pgm.addConstraint("conferences", "conferences_acronym_valid", {
    check: "btrim(acronym) <> '' AND char_length(acronym) <= 32",
  });
  pgm.addConstraint("conferences", "conferences_name_not_blank", { check: "btrim(name) <> ''" });
  pgm.addConstraint("conferences", "conferences_edition_year_range", {
    check: "edition_year BETWEEN 1950 AND 2200",
  });
  pgm.addConstraint("conferences", "conferences_website_http", { check: "website ~ '^https?://'" });
  pgm.addConstraint("conferences", "conferences_dates_order", { check: "end_date >= start_date" });
  pgm.addConstraint("conferences", "conferences_acronym_year_key", { unique: ["acronym", "edition_year"] });

  // Text search is ILIKE on lower(...): pg_trgm is not loaded on PGlite, so these btree indexes serve
  // case-insensitive equality and prefix (LIKE 'x%') lookups; substring search scans (a few hundred rows).
  pgm.sql("CREATE INDEX conferences_lower_acronym_idx ON conferences (lower(acronym) text_pattern_ops)");
  pgm.sql("CREATE INDEX conferences_lower_name_idx ON conferences (lower(name) text_pattern_ops)");
  pgm.createIndex("conferences", "start_date", { name: "conferences_start_date_idx" });
  pgm.createIndex("conferences", "source_id", { name: "conferences_source_id_idx" });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable("conferences");
  pgm.dropTable("sources");
  pgm.dropType("conference_format");
}
