// The dataset's own guard: checks data/conferences.json against the rules in data/README.md.
//
//   npx tsx data/validate.ts [path/to/conferences.json] [--as-of 2026-11-24]
//
// Prints every problem naming the conference index, acronym, year and field; exits 1 on any problem.
//
// The format (fields, kinds, formats, ranges, time zone labels, unknown keys, the edition-year
// windows) is the app's zod schema's, app/src/worker/dataset.ts: its issues are the problems
// printed here, in the words the API uses (describeIssue), so the importer and this guard cannot
// disagree on what the file may hold. On top of it come the editorial rules the importer does not
// need (https only, every field written out, an estimated deadline has a note, ...), run on what the
// schema parsed.

import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { describeIssue } from "../app/src/api/errors.js";
import {
  datasetConferenceSchema,
  datasetDeadlineFields,
  datasetDeadlineSchema,
  datasetRecordProblems,
  datasetSchema,
  datasetTopicSchema,
  formatPath,
  type DatasetConference,
  type DatasetRecordProblem,
} from "../app/src/worker/dataset.js";

/** `dataset.version`: the year and month of the release and a counter within it ("2026.11.0"). */
const VERSION_PATTERN = /^\d{4}\.\d{1,2}\.\d+$/;

/** A record in the file, read field by field. */
const jsonObject = z.record(z.string(), z.unknown());
const jsonArray = z.array(z.unknown());

/** Where in the file (a path as zod gives it) and what is wrong there. */
type Problem = DatasetRecordProblem;

type Shape = z.ZodRawShape;
type AcceptedFields<S extends Shape> = { [K in keyof S]?: z.output<S[K]> };

/**
 * The fields of `record` its schema's shape accepts, each parsed on its own: one bad field must not
 * keep the editorial rules off the others. A field the schema rejects is left out (the schema's
 * issue names it); one the file leaves out has the schema's default.
 */
function acceptedFields<S extends Shape>(shape: S, record: Record<string, unknown>): AcceptedFields<S> {
  const accepted: AcceptedFields<S> = {};
  for (const key of Object.keys(shape) as Array<keyof S & string>) {
    const result = z.safeParse(shape[key]!, record[key]);
    if (result.success) accepted[key] = result.data;
  }
  return accepted;
}

/**
 * Fields the schema fills in when the file leaves them out (format "in_person", estimated false, a
 * time zone from the offset, ...). The file spells every one out, null when not known: a forgotten
 * field must not pass as its default.
 */
function unwrittenFields(shape: Shape, record: Record<string, unknown>, accepted: object, at: Problem["path"]): Problem[] {
  return Object.keys(shape)
    .filter((key) => !Object.hasOwn(record, key) && Object.hasOwn(accepted, key))
    .map((key) => {
      const nullable = z.safeParse(shape[key]!, null).success;
      return {
        path: [...at, key],
        message: `is missing: write it out${nullable ? " (null when not known)" : ""}, not leave it to a default`,
      };
    });
}

/** Why `url` is not an https:// URL, or undefined. The schema takes http:// as well, for the API's sake. */
function httpsProblem(url: string | null): string | undefined {
  if (url === null || !url.startsWith("https://")) return `must be a URL starting with https:// (got ${JSON.stringify(url)})`;
  return URL.canParse(url) ? undefined : `${JSON.stringify(url)} is not a valid URL`;
}

/** The schema's problems as zod reports them: one per unknown key, where zod has one for all of a record's. */
function schemaProblems(issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const message = describeIssue(issue);
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...path, key], message }));
  return [{ path, message }];
}

/** The editorial rules on one conference, on the fields and deadlines the schema accepted. */
function conferenceProblems(index: number, record: Record<string, unknown>): Problem[] {
  const at = ["conferences", index];
  const conference = acceptedFields(datasetConferenceSchema.shape, record);
  const problems = unwrittenFields(datasetConferenceSchema.shape, record, conference, at);
  const { year, start_date: start, end_date: end } = conference;

  if (conference.website !== undefined) {
    const problem = httpsProblem(conference.website);
    if (problem) problems.push({ path: [...at, "website"], message: problem });
  }
  if (conference.source !== undefined) {
    const problem = httpsProblem(conference.source.url);
    if (problem) problems.push({ path: [...at, "source", "url"], message: problem });
  }

  if (start !== undefined && end !== undefined && (start === null) !== (end === null)) {
    problems.push({ path: [...at, "end_date"], message: "start_date and end_date must both be set or both be null" });
  }
  // The schema lets dates stray a year from the edition year (a conference across New Year); the
  // file names each edition by the year it starts in.
  if (start && year !== undefined && Number(start.slice(0, 4)) !== year) {
    problems.push({ path: [...at, "start_date"], message: `${start} is not in the edition year ${year}` });
  }

  if (conference.topics !== undefined) {
    if (conference.topics.length === 0) problems.push({ path: [...at, "topics"], message: "must list at least one topic" });
    const seen = new Set<string>();
    conference.topics.forEach((slug, t) => {
      if (seen.has(slug)) problems.push({ path: [...at, "topics", t], message: `"${slug}" is listed twice` });
      seen.add(slug);
    });
  }

  // Deadlines one by one, so one bad deadline does not keep these rules off the conference's others.
  const deadlines = jsonArray.safeParse(record.deadlines).data ?? [];
  deadlines.forEach((raw, j) => {
    const deadline = datasetDeadlineSchema.safeParse(raw);
    const written = jsonObject.safeParse(raw);
    if (!deadline.success || !written.success) return;
    const where = [...at, "deadlines", j];
    problems.push(...unwrittenFields(datasetDeadlineFields.shape, written.data, deadline.data, where));
    if (deadline.data.estimated && deadline.data.note === null) {
      problems.push({ path: [...where, "note"], message: "an estimated deadline needs a note saying what it is estimated from" });
    }
    if (end && deadline.data.due_at.slice(0, 10) > end) {
      problems.push({ path: [...where, "due_at"], message: `${deadline.data.due_at} falls after the conference ends (${end})` });
    }
  });
  return problems;
}

/** "conferences[3] (ICML 2027)": the file's own acronym and year, or "?" where they are not there. */
function conferenceLabel(index: number, record: unknown): string {
  const { acronym, year } = jsonObject.safeParse(record).data ?? {};
  return `conferences[${index}] (${typeof acronym === "string" ? acronym : "?"} ${typeof year === "number" ? year : "?"})`;
}

/** "conferences[3] (ICML 2027).deadlines[0].kind", "topics[2].slug", "dataset.version", "top level". */
function describePath(path: Problem["path"], conferences: readonly unknown[]): string {
  const [head, index, ...rest] = path;
  if (head === "conferences" && typeof index === "number") {
    return conferenceLabel(index, conferences[index]) + (rest.length > 0 ? `.${formatPath(rest)}` : "");
  }
  return formatPath(path) || "top level";
}

/**
 * Every problem in a parsed conferences.json, as human-readable lines that name the conference
 * (index, acronym, year) and the field. An empty list means the dataset is valid.
 */
export function validateDataset(json: unknown): string[] {
  const parsed = datasetSchema.safeParse(json);
  const problems = parsed.success ? [] : parsed.error.issues.flatMap(schemaProblems);
  const file = jsonObject.safeParse(json);
  const conferences = jsonArray.safeParse(file.data?.conferences).data ?? [];

  if (file.success) {
    const top = acceptedFields(datasetSchema.shape, file.data);
    if (top.dataset !== undefined && !VERSION_PATTERN.test(top.dataset.version)) {
      problems.push({
        path: ["dataset", "version"],
        message: `must look like YYYY.M.N, e.g. "2026.11.0" (got ${JSON.stringify(top.dataset.version)})`,
      });
    }
    // zod skips the schema's rules across records (duplicates, unknown topics, one deadline per kind,
    // the edition-year windows) once any record has an issue; run them on the records that parsed, so
    // one bad conference does not hide the others' problems. A topic counts when its slug parsed (a
    // blank name must not make its conferences' topics unknown); without a readable list, they wait.
    const topics = jsonArray.safeParse(file.data.topics ?? []);
    if (!parsed.success && topics.success) {
      const acceptedTopics = topics.data.map((t) => {
        const slug = datasetTopicSchema.shape.slug.safeParse(jsonObject.safeParse(t).data?.slug);
        return slug.success ? { slug: slug.data } : undefined;
      });
      const acceptedConferences = conferences.map(
        (c): DatasetConference | undefined => datasetConferenceSchema.safeParse(c).data,
      );
      problems.push(...datasetRecordProblems(acceptedTopics, acceptedConferences));
    }
    conferences.forEach((record, i) => {
      const conference = jsonObject.safeParse(record);
      if (conference.success) problems.push(...conferenceProblems(i, conference.data));
    });
  }

  // By conference, in file order (a stable sort). A line can come twice: zod does run the rules
  // across records past some issues (an unknown key, a label that contradicts its offset).
  const order = ({ path: [head, index] }: Problem) => (head === "conferences" && typeof index === "number" ? index + 1 : 0);
  const lines = problems.sort((a, b) => order(a) - order(b)).map((p) => `${describePath(p.path, conferences)}: ${p.message}`);
  return [...new Set(lines)];
}

export interface DatasetSummary {
  conferences: number;
  acronyms: number;
  /** Conferences with at least one deadline strictly after `asOf`. */
  withUpcomingDeadlines: number;
  /** Of those, how many have an estimated upcoming deadline. */
  withUpcomingEstimatedDeadlines: number;
  /** Conferences with dates_estimated or at least one estimated deadline. */
  estimatedConferences: number;
  datesEstimated: number;
  deadlines: number;
  estimatedDeadlines: number;
  upcomingDeadlines: number;
}

/** Counts for the CLI and the report. Call only on a dataset that validateDataset accepted (it throws otherwise). */
export function summarizeDataset(json: unknown, asOf: Date): DatasetSummary {
  const { conferences } = datasetSchema.parse(json);
  const s: DatasetSummary = {
    conferences: conferences.length,
    acronyms: new Set(conferences.map((c) => c.acronym.toLowerCase())).size,
    withUpcomingDeadlines: 0,
    withUpcomingEstimatedDeadlines: 0,
    estimatedConferences: 0,
    datesEstimated: 0,
    deadlines: 0,
    estimatedDeadlines: 0,
    upcomingDeadlines: 0,
  };
  for (const c of conferences) {
    const { deadlines } = c;
    const upcoming = deadlines.filter((d) => Date.parse(d.due_at) > asOf.getTime());
    s.deadlines += deadlines.length;
    s.estimatedDeadlines += deadlines.filter((d) => d.estimated).length;
    s.upcomingDeadlines += upcoming.length;
    if (upcoming.length > 0) s.withUpcomingDeadlines += 1;
    if (upcoming.some((d) => d.estimated)) s.withUpcomingEstimatedDeadlines += 1;
    if (c.dates_estimated) s.datesEstimated += 1;
    if (c.dates_estimated || deadlines.some((d) => d.estimated)) s.estimatedConferences += 1;
  }
  return s;
}

export const defaultDatasetPath = fileURLToPath(new URL("./conferences.json", import.meta.url));

function main(argv: string[]): number {
  let path = defaultDatasetPath;
  let asOf = new Date();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--as-of") {
      const value = argv[++i];
      if (!z.iso.date().safeParse(value).success) {
        console.error("--as-of needs a date YYYY-MM-DD, e.g. --as-of 2026-11-24");
        return 2;
      }
      asOf = new Date(`${value}T23:59:59Z`);
    } else if (arg === "--help" || arg === "-h") {
      console.log("usage: npx tsx data/validate.ts [path/to/conferences.json] [--as-of YYYY-MM-DD]");
      return 0;
    } else {
      path = arg;
    }
  }

  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    console.error(`cannot read ${path}: ${(err as Error).message}`);
    return 1;
  }
  const problems = validateDataset(json);
  if (problems.length > 0) {
    for (const p of problems) console.error(`error: ${p}`);
    console.error(`${path}: ${problems.length} problem(s); fix them and run this again.`);
    return 1;
  }
  const s = summarizeDataset(json, asOf);
  const day = asOf.toISOString().slice(0, 10);
  console.log(`${path}: OK`);
  console.log(
    `${s.conferences} conferences (${s.acronyms} acronyms), ${s.deadlines} deadlines (${s.estimatedDeadlines} estimated)`,
  );
  console.log(
    `${s.withUpcomingDeadlines} conferences have deadlines after ${day} (${s.upcomingDeadlines} deadlines; ` +
      `${s.withUpcomingEstimatedDeadlines} of those conferences with an estimated one)`,
  );
  console.log(`${s.estimatedConferences} conferences carry estimated values (${s.datesEstimated} with estimated dates)`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
