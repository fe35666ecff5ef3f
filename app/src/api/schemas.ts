import { z } from "zod";

export const CONFERENCE_FORMATS = ["in_person", "online", "hybrid"] as const;
export const DEADLINE_KINDS = ["abstract", "paper", "supplementary", "rebuttal", "notification", "camera_ready"] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const slug = z.string().regex(SLUG_PATTERN, { error: "must be a slug like machine-learning (a-z, 0-9, single dashes)" });
const httpUrl = z
  .string()
  .trim()
  .max(500)
  .regex(/^https?:\/\/\S+$/, { error: "must be an http:// or https:// URL" });
const text = (max: number) => z.string().trim().min(1).max(max);
const isoDate = z.iso.date();

/** A query-string integer: fastify hands query values over as strings. */
export const intParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, { error: "must be an integer" })
    .transform(Number)
    .pipe(z.int().min(min).max(max));

export const idParams = z.strictObject({ id: intParam(1, Number.MAX_SAFE_INTEGER) });
export const deadlineParams = z.strictObject({
  id: intParam(1, Number.MAX_SAFE_INTEGER),
  deadlineId: intParam(1, Number.MAX_SAFE_INTEGER),
});

export const MAX_PAGE_SIZE = 100;

export const conferenceListQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional(),
  topic: slug.optional(),
  deadline_within_days: intParam(0, 3660).optional(),
  year: intParam(1950, 2200).optional(),
  limit: intParam(1, MAX_PAGE_SIZE).optional().default(20),
  offset: intParam(0, 1_000_000).optional().default(0),
});
export type ConferenceListQuery = z.output<typeof conferenceListQuery>;

function endNotBeforeStart(v: { start_date?: string | null; end_date?: string | null }, ctx: z.RefinementCtx) {
  if (v.start_date && v.end_date && v.end_date < v.start_date) {
    ctx.addIssue({ code: "custom", path: ["end_date"], message: "must be on or after start_date" });
  }
}

const conferenceFields = {
  acronym: text(32),
  name: text(300),
  year: z.int().min(1950).max(2200),
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

export const conferenceCreate = conferenceObject.superRefine(endNotBeforeStart);
export type ConferenceCreate = z.output<typeof conferenceCreate>;

export const conferencePatch = conferenceObject
  .partial()
  .refine((v) => Object.keys(v).length > 0, { error: "must contain at least one field to change" })
  .superRefine(endNotBeforeStart);
export type ConferencePatch = z.output<typeof conferencePatch>;

const deadlineFields = {
  kind: z.enum(DEADLINE_KINDS),
  due_at: z.iso.datetime({ offset: true }),
  timezone: text(32),
  estimated: z.boolean(),
  note: text(1000).nullable(),
};

export const deadlineCreate = z.strictObject({
  kind: deadlineFields.kind,
  due_at: deadlineFields.due_at,
  timezone: deadlineFields.timezone.optional(),
  estimated: deadlineFields.estimated.optional(),
  note: deadlineFields.note.optional(),
});
export type DeadlineCreate = z.output<typeof deadlineCreate>;

export const deadlinePatch = z
  .strictObject({
    kind: deadlineFields.kind.optional(),
    due_at: deadlineFields.due_at.optional(),
    timezone: deadlineFields.timezone.optional(),
    estimated: deadlineFields.estimated.optional(),
    note: deadlineFields.note.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { error: "must contain at least one field to change" });
export type DeadlinePatch = z.output<typeof deadlinePatch>;

export const upcomingQuery = z.strictObject({
  days: intParam(1, 3660).optional().default(30),
  limit: intParam(1, MAX_PAGE_SIZE).optional().default(50),
});

export const limitQuery = z.strictObject({
  limit: intParam(1, MAX_PAGE_SIZE).optional().default(20),
});
