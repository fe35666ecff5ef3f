import type { ColumnDefinitions, MigrationBuilder } from "node-pg-migrate";

export const shorthands: ColumnDefinitions | undefined = undefined;

// The rules below are also checked, with friendlier messages, by the API and the dataset schema
// (app/src/api/schemas.ts, `editionWindows`); this is the guarantee for every writer. The numbers
// are written out here on purpose: a migration must keep meaning what it meant when it ran.
//   - One conference per acronym and year whatever the case: "NeurIPS" and "NEURIPS" 2026 are one.
//   - Its dates fall within a year of its edition year (a conference across New Year, one a few
//     weeks early).
//   - Its deadlines fall from 1 January two years before its year to 31 December one year after (UTC).

/** Fails the migration with `message` and up to ten offending rows from `offenders` (one text column). */
function refuseIf(pgm: MigrationBuilder, offenders: string, message: string): void {
  pgm.sql(`DO $$
DECLARE found text;
BEGIN
  SELECT string_agg(o, '; ') INTO found FROM (${offenders} LIMIT 10) AS t(o);
  IF found IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '${message.replace(/'/g, "''")}: ' || found;
  END IF;
END $$`);
}

const DEADLINE_OUTSIDE = (due: string, year: string) =>
  `(${due} < make_timestamptz(${year} - 2, 1, 1, 0, 0, 0, 'UTC') OR ${due} >= make_timestamptz(${year} + 2, 1, 1, 0, 0, 0, 'UTC'))`;

const DATE_NEAR_EDITION = (column: string) =>
  `${column} BETWEEN make_date(edition_year - 1, 1, 1) AND make_date(edition_year + 1, 12, 31)`;

export async function up(pgm: MigrationBuilder): Promise<void> {
  // Rows written before these rules may break them. Stop with the rows to fix, rather than with
  // the bare error of whichever statement meets the first one.
  refuseIf(
    pgm,
    `SELECT string_agg(format('%s (id %s)', acronym, id), ' and ' ORDER BY id) || ' in ' || edition_year
       FROM conferences GROUP BY lower(acronym), edition_year HAVING count(*) > 1 ORDER BY 1`,
    "conferences whose acronyms differ only in case for the same year are one conference; rename or delete one of each (PATCH or DELETE /api/conferences/ID), then migrate again",
  );
  refuseIf(
    pgm,
    `SELECT format('%s %s (id %s): %s to %s', acronym, edition_year, id, start_date, end_date) FROM conferences
      WHERE NOT (${DATE_NEAR_EDITION("start_date")}) OR NOT (${DATE_NEAR_EDITION("end_date")}) ORDER BY id`,
    "conference dates must fall within a year of the edition year; fix these (PATCH /api/conferences/ID), then migrate again",
  );
  refuseIf(
    pgm,
    `SELECT format('%s %s %s deadline (id %s): %s', c.acronym, c.edition_year, d.kind, d.id, d.due_at)
       FROM deadlines d JOIN conferences c ON c.id = d.conference_id
      WHERE ${DEADLINE_OUTSIDE("d.due_at", "c.edition_year")} ORDER BY d.id`,
    "deadlines must fall from two years before to one year after their conference's year; fix these (PATCH /api/conferences/ID/deadlines/DEADLINE_ID), then migrate again",
  );

  pgm.dropConstraint("conferences", "conferences_acronym_year_key");
  // Also what the ingest's ON CONFLICT (lower(acronym), edition_year) names.
  pgm.sql("CREATE UNIQUE INDEX conferences_lower_acronym_year_key ON conferences (lower(acronym), edition_year)");

  pgm.addConstraint("conferences", "conferences_start_date_near_edition", { check: DATE_NEAR_EDITION("start_date") });
  pgm.addConstraint("conferences", "conferences_end_date_near_edition", { check: DATE_NEAR_EDITION("end_date") });

  // A deadline's window depends on another table's row, which a CHECK cannot see: two triggers,
  // one for each side. They raise check_violation with the column set, so the API answers 400
  // naming the field (app/src/api/db-errors.ts).
  pgm.createFunction(
    "deadline_due_near_edition",
    [],
    { returns: "trigger", language: "plpgsql", replace: false },
    `DECLARE year integer;
BEGIN
  SELECT edition_year INTO year FROM conferences WHERE id = NEW.conference_id;
  IF year IS NOT NULL AND ${DEADLINE_OUTSIDE("NEW.due_at", "year")} THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation', CONSTRAINT = 'deadlines_due_near_edition', TABLE = 'deadlines', COLUMN = 'due_at',
      MESSAGE = format('must fall in %s to %s (UTC) for a %s conference: deadlines come at most two years before and one year after the edition year',
                       year - 2, year + 1, year);
  END IF;
  RETURN NEW;
END;`,
  );
  pgm.createTrigger("deadlines", "deadlines_due_near_edition", {
    when: "BEFORE",
    operation: ["INSERT", "UPDATE OF due_at, conference_id"],
    level: "ROW",
    function: "deadline_due_near_edition",
  });

  pgm.createFunction(
    "conference_deadlines_near_edition",
    [],
    { returns: "trigger", language: "plpgsql", replace: false },
    `DECLARE far record;
BEGIN
  SELECT kind, due_at INTO far FROM deadlines
   WHERE conference_id = NEW.id AND ${DEADLINE_OUTSIDE("due_at", "NEW.edition_year")}
   ORDER BY due_at LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING
      ERRCODE = 'check_violation', CONSTRAINT = 'conferences_deadlines_near_edition', TABLE = 'conferences',
      COLUMN = 'edition_year',
      MESSAGE = format('the conference''s %s deadline (%s) would be years away from %s: deadlines come at most two years before and one year after the edition year; move or delete it first',
                       far.kind, to_char(far.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), NEW.edition_year);
  END IF;
  RETURN NEW;
END;`,
  );
  pgm.createTrigger("conferences", "conferences_deadlines_near_edition", {
    when: "BEFORE",
    operation: "UPDATE OF edition_year",
    level: "ROW",
    condition: "OLD.edition_year IS DISTINCT FROM NEW.edition_year",
    function: "conference_deadlines_near_edition",
  });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTrigger("conferences", "conferences_deadlines_near_edition");
  pgm.dropFunction("conference_deadlines_near_edition", []);
  pgm.dropTrigger("deadlines", "deadlines_due_near_edition");
  pgm.dropFunction("deadline_due_near_edition", []);
  pgm.dropConstraint("conferences", "conferences_end_date_near_edition");
  pgm.dropConstraint("conferences", "conferences_start_date_near_edition");
  pgm.sql("DROP INDEX conferences_lower_acronym_year_key");
  pgm.addConstraint("conferences", "conferences_acronym_year_key", { unique: ["acronym", "edition_year"] });
}
