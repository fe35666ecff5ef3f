import type { Db } from "../db.js";
import { type HttpError, httpErrors } from "@fastify/sensible";
import { fieldError } from "./errors.js";
import { COLUMN_FIELDS, constraintColumnsQuery } from "./queries.js";

interface PgError {
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  detail?: string;
  message?: string;
}

export const PG_UNIQUE_VIOLATION = "23505";
export const PG_CHECK_VIOLATION = "23514";

export function isPgError(err: unknown, code?: string): err is PgError {
  const e = err as PgError | undefined;
  return typeof e?.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && (code === undefined || e.code === code);
}

/** Readable text for the constraints whose SQL is not obvious from their column. */
const CONSTRAINT_TEXT: Record<string, string> = {
  conferences_dates_order: "end_date must be on or after start_date",
  conferences_acronym_valid: "acronym must be 1 to 32 characters and not blank",
  conferences_edition_year_range: "year must be from 1950 to 2200",
  conferences_website_http: "website must start with http:// or https://",
  deadlines_timezone_label_not_blank: "timezone must not be blank",
  conferences_start_date_near_edition: "start_date must be within a year of the conference's year",
  conferences_end_date_near_edition: "end_date must be within a year of the conference's year",
};

/** The API field names of a constraint's columns, read from the catalog (last column first). */
async function constraintFields(db: Db, constraint: string, table: string | undefined): Promise<string[]> {
  try {
    const { text, values } = constraintColumnsQuery(constraint, table);
    const { rows } = await db.query<{ attname: string }>(text, values);
    return rows.map((r) => COLUMN_FIELDS[r.attname] ?? r.attname);
  } catch {
    return [];
  }
}

/**
 * Maps a PostgreSQL error to an HTTP error, or returns undefined if it is not the client's
 * fault. Check and not-null violations become 400 naming the field; unique violations 409.
 */
export async function mapDbError(err: unknown, db: Db): Promise<HttpError | undefined> {
  if (!isPgError(err)) return undefined;
  switch (err.code) {
    case PG_CHECK_VIOLATION: {
      const constraint = err.constraint ?? "unknown";
      // Raised by one of our triggers (a rule across two tables, which a CHECK cannot state): it
      // names its column and says the rule in its message; there is no catalog entry to look up.
      if (err.column && !(constraint in CONSTRAINT_TEXT)) {
        const field = COLUMN_FIELDS[err.column] ?? err.column;
        return fieldError(400, `${field}: ${err.message ?? `violates the rule ${constraint}`}`, field);
      }
      const fields = await constraintFields(db, constraint, err.table);
      const field = fields[0] ?? constraint;
      const text = CONSTRAINT_TEXT[constraint] ?? `violates the rule ${constraint}`;
      return fieldError(400, `${field}: ${text} (check constraint ${constraint})`, field);
    }
    case "23502": {
      const field = err.column ? (COLUMN_FIELDS[err.column] ?? err.column) : "body";
      return fieldError(400, `${field}: is required (must not be null)`, field);
    }
    case PG_UNIQUE_VIOLATION: {
      const fields = err.constraint ? await constraintFields(db, err.constraint, err.table) : [];
      const detail = err.detail ? `: ${err.detail}` : "";
      return fieldError(409, `${fields.reverse().join(", ") || "record"} already exists${detail}`, fields[0]);
    }
    case "22P02": // invalid_text_representation
    case "22007": // invalid_datetime_format
    case "22008": // datetime_field_overflow
    case "22003": // numeric_value_out_of_range
    case "22021": // character_not_in_repertoire: a NUL in text (the schemas refuse it before this)
    case "22P05": // untranslatable_character: a \u0000 in json
      return httpErrors.badRequest(`invalid value: ${err.message ?? "rejected by the database"}`);
    case "57014": // query_canceled (statement_timeout)
      return httpErrors.serviceUnavailable("the database took too long to answer; try again");
    default:
      return undefined;
  }
}
