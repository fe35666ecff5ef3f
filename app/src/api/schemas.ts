import { z } from "zod";
import { labelForOffset, offsetOf, parseTimezoneLabel, timezoneMismatch, unknownTimezoneText } from "./timezones.js";

export const CONFERENCE_FORMATS = ["in_person", "online", "hybrid"] as const;
export const DEADLINE_KINDS = ["abstract", "paper", "supplementary", "rebuttal", "notification", "camera_ready"] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** The edition years a conference may have (the database checks the same range). */
export const EDITION_YEARS = { min: 1950, max: 2200 } as const;
export const ACRONYM_MAX = 32;

// PostgreSQL's text cannot hold a NUL character: without this check it reaches the database and
// comes back as a 500. Every string a client sends goes through `plainString`.
const NUL_TEXT = "must not contain a NUL character (\\u0000)";
const plainString = () => z.string().refine((v) => !v.includes("\u0000"), { error: NUL_TEXT });

export const slug = z.string().regex(SLUG_PATTERN, { error: "must be a slug like machine-learning (a-z, 0-9, single dashes)" });
export const httpUrl = plainString()
  .trim()
  .max(500)
  .regex(/^https?:\/\/\S+$/, { error: "must be an http:// or https:// URL" });
/** Required text: trimmed, not empty, at most `max` characters, no NUL. */
export const text = (max: number) => plainString().trim().min(1).max(max);
/** A search term as typed: may be empty (the page's empty box), at most 200 characters, no NUL. */
export const searchTerm = plainString().trim().max(200);
const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * A query-string integer: fastify hands query values over as strings. Bounds are checked on the
 * digits (BigInt) before any conversion, so 2^63 gets one "must be <= ..." and not a second one
 * for no longer being a safe integer.
 */
export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, { error: "must be an integer" })
    .transform((digits, ctx) => {
      const n = BigInt(digits);
      if (n > BigInt(max)) {
        ctx.addIssue({ code: "too_big", maximum: max, origin: "number", inclusive: true, input: digits });
        return z.NEVER;
      }
      if (n < BigInt(min)) {
        ctx.addIssue({ code: "too_small", minimum: min, origin: "number", inclusive: true, input: digits });
        return z.NEVER;
      }
      return Number(n);
    });

export const idParams = z.strictObject({ id: intParam(1, Number.MAX_SAFE_INTEGER) });
export const deadlineParams = z.strictObject({
  id: intParam(1, Number.MAX_SAFE_INTEGER),
  deadlineId: intParam(1, Number.MAX_SAFE_INTEGER),
});

export const MAX_PAGE_SIZE = 100;

export const conferenceListQuery = z.strictObject({
  q: searchTerm.min(1).optional(),
  topic: slug.optional(),
  deadline_within_days: intParam(0, 3660).optional(),
  year: intParam(EDITION_YEARS.min, EDITION_YEARS.max).optional(),
  limit: intParam(1, MAX_PAGE_SIZE).optional().default(20),
  offset: intParam(0, 1_000_000).optional().default(0),
});
export type ConferenceListQuery = z.output<typeof conferenceListQuery>;

/**
 * How far from its edition year a conference's dates and deadlines may be. Dates: within a year
 * (a conference across New Year, one held a few weeks early). Deadlines: from two years before to
 * one year after, by their UTC instant. The migration 20261203030000000 has the same numbers, as
 * the database's guarantee; these give the messages.
 */
export const editionWindows = (year: number) => ({
  dates: { from: `${year - 1}-01-01`, to: `${year + 1}-12-31` },
  deadlines: { fromYear: year - 2, toYear: year + 1 },
});

/** Why `date` is too far from the edition year, or undefined. */
export function dateWindowProblem(year: number, date: string): string | undefined {
  const { from, to } = editionWindows(year).dates;
  return date < from || date > to ? `must be within a year of the edition year ${year} (${from} to ${to})` : undefined;
}

/** Why `dueAt` is too far from the edition year, or undefined. */
export function deadlineWindowProblem(year: number, dueAt: string): string | undefined {
  const { fromYear, toYear } = editionWindows(year).deadlines;
  const dueYear = new Date(dueAt).getUTCFullYear();
  return dueYear < fromYear || dueYear > toYear
    ? `must fall in ${fromYear} to ${toYear} (UTC) for a ${year} conference: deadlines come at most two years before and one year after the edition year`
    : undefined;
}

type ConferenceDates = { year?: number; start_date?: string | null; end_date?: string | null };

function checkDates(v: ConferenceDates, ctx: z.RefinementCtx) {
  if (v.start_date && v.end_date && v.end_date < v.start_date) {
    ctx.addIssue({ code: "custom", path: ["end_date"], message: "must be on or after start_date" });
  }
  // Without the year (a PATCH of the dates alone) the database's check has the stored one.
  if (v.year === undefined) return;
  for (const field of ["start_date", "end_date"] as const) {
    const date = v[field];
    const problem = date ? dateWindowProblem(v.year, date) : undefined;
    if (problem) ctx.addIssue({ code: "custom", path: [field], message: problem });
  }
}

/** A conference's fields as the API and the dataset (worker/dataset.ts) both read them. */
export const conferenceFields = {
  acronym: text(ACRONYM_MAX),
  name: text(300),
  year: z.int().min(EDITION_YEARS.min).max(EDITION_YEARS.max),
  website: httpUrl.nullable(),
  city: text(100).nullable(),
  country: text(100).nullable(),
  format: z.enum(CONFERENCE_FORMATS),
  start_date: isoDate.nullable(),
  end_date: isoDate.nullable(),
  dates_estimated: z.boolean(),
  topics: z.array(slug).max(20),
};

// One shape for both: a PATCH may name any field a create may, and none other.
const conferenceObject = z.strictObject({
  acronym: conferenceFields.acronym,
  name: conferenceFields.name,
  year: conferenceFields.year,
  website: conferenceFields.website.optional(),
  city: conferenceFields.city.optional(),
  country: conferenceFields.country.optional(),
  format: conferenceFields.format.optional(),
  start_date: conferenceFields.start_date.optional(),
  end_date: conferenceFields.end_date.optional(),
  dates_estimated: conferenceFields.dates_estimated.optional(),
  topics: conferenceFields.topics.optional(),
});

export const conferenceCreate = conferenceObject.superRefine(checkDates);
export type ConferenceCreate = z.output<typeof conferenceCreate>;

export const conferencePatch = conferenceObject
  .partial()
  .refine((v) => Object.keys(v).length > 0, { error: "must contain at least one field to change" })
  .superRefine(checkDates);
export type ConferencePatch = z.output<typeof conferencePatch>;

/** A known time zone label, as stored (see timezones.ts): "aoe" becomes "AoE". */
export const timezoneLabel = text(64).transform((raw, ctx) => {
  const parsed = parseTimezoneLabel(raw);
  if (parsed) return parsed.label;
  ctx.addIssue({ code: "custom", message: unknownTimezoneText(raw) });
  return z.NEVER;
});

/** Adds the issue if `timezone` does not mean the offset `due_at` is written with. */
export function checkTimezone(v: { due_at?: string; timezone?: string }, ctx: z.RefinementCtx): void {
  if (v.due_at === undefined || v.timezone === undefined) return;
  const label = parseTimezoneLabel(v.timezone);
  const problem = label && timezoneMismatch(label, v.due_at);
  if (problem) ctx.addIssue({ code: "custom", path: ["timezone"], message: problem });
}

/** A deadline's fields as the API and the dataset (worker/dataset.ts) both read them. */
export const deadlineFields = {
  kind: z.enum(DEADLINE_KINDS),
  due_at: isoDateTime,
  timezone: timezoneLabel,
  estimated: z.boolean(),
  note: text(1000).nullable(),
};

export const deadlineCreate = z
  .strictObject({
    kind: deadlineFields.kind,
    due_at: deadlineFields.due_at,
    timezone: deadlineFields.timezone.optional(),
    estimated: deadlineFields.estimated.optional(),
    note: deadlineFields.note.optional(),
  })
  .superRefine(checkTimezone)
  // No label given: the one its offset says (AoE for -12:00, UTC, else UTC+HH:MM), never a
  // default that could contradict it.
  .transform((v) => ({ ...v, timezone: v.timezone ?? labelForOffset(offsetOf(v.due_at)) }));
export type DeadlineCreate = z.output<typeof deadlineCreate>;

/** A new due_at alone is checked against the stored label by the route. */
export const deadlinePatch = z
  .strictObject({
    kind: deadlineFields.kind.optional(),
    due_at: deadlineFields.due_at.optional(),
    timezone: deadlineFields.timezone.optional(),
    estimated: deadlineFields.estimated.optional(),
    note: deadlineFields.note.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { error: "must contain at least one field to change" })
  .superRefine(checkTimezone);
export type DeadlinePatch = z.output<typeof deadlinePatch>;

export const upcomingQuery = z.strictObject({
  days: intParam(1, 3660).optional().default(30),
  limit: intParam(1, MAX_PAGE_SIZE).optional().default(50),
});

export const limitQuery = z.strictObject({
  limit: intParam(1, MAX_PAGE_SIZE).optional().default(20),
});
