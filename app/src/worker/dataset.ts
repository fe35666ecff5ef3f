import { readFile } from "node:fs/promises";
import { z } from "zod";
import { describeIssue } from "../api/errors.js";
import {
  checkTimezone,
  conferenceFields,
  dateWindowProblem,
  deadlineFields,
  deadlineWindowProblem,
  httpUrl,
  SLUG_PATTERN,
  text,
} from "../api/schemas.js";
import { labelForOffset, offsetOf } from "../api/timezones.js";

export const datasetTopicSchema = z.strictObject({
  slug: z.string().regex(SLUG_PATTERN, { error: "must be a slug like machine-learning" }),
  name: text(200),
});

// The same field rules as the API's (app/src/api/schemas.ts): what the ingest writes, a client
// could have written, and the other way round.
export const datasetDeadlineFields = z.strictObject({
  kind: deadlineFields.kind,
  due_at: deadlineFields.due_at,
  timezone: deadlineFields.timezone.optional(),
  estimated: deadlineFields.estimated.default(false),
  note: deadlineFields.note.default(null),
});

export const datasetDeadlineSchema = datasetDeadlineFields
  .superRefine(checkTimezone)
  .transform((d) => ({ ...d, timezone: d.timezone ?? labelForOffset(offsetOf(d.due_at)) }));

export const datasetConferenceSchema = z.strictObject({
  acronym: conferenceFields.acronym,
  name: conferenceFields.name,
  year: conferenceFields.year,
  website: conferenceFields.website.default(null),
  city: conferenceFields.city.default(null),
  country: conferenceFields.country.default(null),
  format: conferenceFields.format.default("in_person"),
  start_date: conferenceFields.start_date.default(null),
  end_date: conferenceFields.end_date.default(null),
  dates_estimated: conferenceFields.dates_estimated.default(false),
  topics: z.array(z.string()).default([]),
  source: z.strictObject({ url: httpUrl }),
  deadlines: z.array(datasetDeadlineSchema).default([]),
});

export type DatasetTopic = z.output<typeof datasetTopicSchema>;
export type DatasetConference = z.output<typeof datasetConferenceSchema>;

/** A problem one of the dataset's rules across records finds: where in the file, and what. */
export interface DatasetRecordProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * The dataset's rules across records, and those that need a conference's year: one topic per slug,
 * one conference per acronym and year, topics from the top-level list, one deadline per kind,
 * dates and deadlines near the edition year. `datasetSchema` runs them once every record has
 * parsed; zod skips a refinement when anything under it has an issue, so data/validate.ts also runs
 * them on the records that did parse. A record given as undefined (one that did not parse) is left
 * out, and the paths keep the others' positions in the file. Of a topic, only the slug counts.
 */
export function datasetRecordProblems(
  topics: ReadonlyArray<Pick<DatasetTopic, "slug"> | undefined>,
  conferences: ReadonlyArray<DatasetConference | undefined>,
): DatasetRecordProblem[] {
  const problems: DatasetRecordProblem[] = [];
  const topicSlugs = new Set<string>();
  topics.forEach((t, i) => {
    if (t === undefined) return;
    if (topicSlugs.has(t.slug)) problems.push({ path: ["topics", i, "slug"], message: `duplicate topic slug "${t.slug}"` });
    topicSlugs.add(t.slug);
  });
  const editions = new Map<string, number>();
  conferences.forEach((c, i) => {
    if (c === undefined) return;
    // One conference per acronym and year whatever the case, as the database's unique index has it.
    const key = `${c.acronym.toLowerCase()}\u0000${c.year}`;
    const first = editions.get(key);
    if (first !== undefined) {
      problems.push({
        path: ["conferences", i, "acronym"],
        message: `duplicate conference ${c.acronym} ${c.year} (also at conferences[${first}])`,
      });
    } else editions.set(key, i);
    if (c.start_date && c.end_date && c.end_date < c.start_date) {
      problems.push({ path: ["conferences", i, "end_date"], message: "must be on or after start_date" });
    }
    for (const field of ["start_date", "end_date"] as const) {
      const date = c[field];
      const problem = date ? dateWindowProblem(c.year, date) : undefined;
      if (problem) problems.push({ path: ["conferences", i, field], message: problem });
    }
    c.topics.forEach((slug, j) => {
      if (!topicSlugs.has(slug)) {
        problems.push({
          path: ["conferences", i, "topics", j],
          message: `topic "${slug}" is not in the top-level topics list`,
        });
      }
    });
    const kinds = new Set<string>();
    c.deadlines.forEach((dl, j) => {
      if (kinds.has(dl.kind)) {
        problems.push({ path: ["conferences", i, "deadlines", j, "kind"], message: `duplicate ${dl.kind} deadline` });
      }
      kinds.add(dl.kind);
      const problem = deadlineWindowProblem(c.year, dl.due_at);
      if (problem) problems.push({ path: ["conferences", i, "deadlines", j, "due_at"], message: problem });
    });
  });
  return problems;
}

/**
 * The dataset file (data/conferences.json): this schema is where its format is defined. Unknown fields are
 * errors, so a misspelt "estimate" fails loudly instead of being ignored.
 */
export const datasetSchema = z
  .strictObject({
    dataset: z.strictObject({ name: text(100), version: text(50) }),
    topics: z.array(datasetTopicSchema).default([]),
    conferences: z.array(datasetConferenceSchema).min(1),
  })
  .superRefine((d, ctx) => {
    for (const { path, message } of datasetRecordProblems(d.topics, d.conferences)) {
      ctx.addIssue({ code: "custom", path, message });
    }
  });

export type Dataset = z.output<typeof datasetSchema>;
export type DatasetDeadline = z.output<typeof datasetDeadlineSchema>;

export class DatasetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatasetError";
  }
}

/** "conferences[3].deadlines[0].due_at" */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

const MAX_LISTED_ISSUES = 20;

/** Validates parsed JSON; the error lists each problem with its path and the conference it is in. */
export function parseDataset(json: unknown, source = "dataset"): Dataset {
  const result = datasetSchema.safeParse(json);
  if (result.success) return result.data;
  const conferences = (json as { conferences?: unknown[] } | null)?.conferences;
  const lines = result.error.issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys.join(", ")] : issue.path;
    let where = formatPath(path) || "(top level)";
    if (path[0] === "conferences" && typeof path[1] === "number" && Array.isArray(conferences)) {
      const c = conferences[path[1]] as { acronym?: unknown; year?: unknown } | undefined;
      if (c && typeof c.acronym === "string") where += ` (${c.acronym} ${String(c.year ?? "")})`.replace(/ \)$/, ")");
    }
    return `${where}: ${describeIssue(issue)}`;
  });
  const more = result.error.issues.length - lines.length;
  throw new DatasetError(
    `${source} is not a valid dataset (${result.error.issues.length} problem${result.error.issues.length === 1 ? "" : "s"}):\n` +
      lines.map((l) => `  - ${l}`).join("\n") +
      (more > 0 ? `\n  - ... and ${more} more` : ""),
  );
}

/** Reads and validates the dataset file; every failure is a DatasetError naming the file. */
export async function loadDataset(file: string): Promise<Dataset> {
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch (err) {
    throw new DatasetError(`cannot read the dataset ${file}: ${(err as Error).message} (set DATASET_PATH)`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    throw new DatasetError(`the dataset ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseDataset(json, `the dataset ${file}`);
}
