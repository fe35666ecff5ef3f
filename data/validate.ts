// The dataset's own guard: checks data/conferences.json against the rules in data/README.md.
// The format (fields, kinds, formats, ranges) is the app's zod schema's (app/src/worker/dataset.ts,
// app/src/api/schemas.ts); this adds the editorial rules the importer does not need (https only,
// an estimated deadline has a note, ...) and messages meant for whoever edits the file.
//
//   npx tsx data/validate.ts [path/to/conferences.json] [--as-of 2026-11-24]
//
// Prints every problem naming the conference index, acronym, year and field; exits 1 on any problem.

import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ACRONYM_MAX, CONFERENCE_FORMATS, DEADLINE_KINDS, EDITION_YEARS, SLUG_PATTERN } from "../app/src/api/schemas.js";
import { datasetConferenceSchema, datasetDeadlineFields, datasetSchema } from "../app/src/worker/dataset.js";

/**
 * Fixed UTC offsets for the timezone labels calls for papers use. Only fixed-offset labels are
 * accepted: "PT" or "ET" alone would be ambiguous across daylight saving, so write PST/PDT, EST/EDT
 * or UTC-7 instead. "UTC+H", "UTC-H", "UTC+HH:MM" and "GMT±H" labels are parsed, not listed.
 */
export const TIMEZONE_OFFSETS: Readonly<Record<string, string>> = {
  AoE: "-12:00",
  UTC: "+00:00",
  GMT: "+00:00",
  HST: "-10:00",
  AKST: "-09:00",
  PST: "-08:00",
  PDT: "-07:00",
  MST: "-07:00",
  MDT: "-06:00",
  CST: "-06:00",
  CDT: "-05:00",
  EST: "-05:00",
  EDT: "-04:00",
  BST: "+01:00",
  CET: "+01:00",
  CEST: "+02:00",
  EET: "+02:00",
  EEST: "+03:00",
  IST: "+05:30",
  SGT: "+08:00",
  JST: "+09:00",
  KST: "+09:00",
  AEST: "+10:00",
  AEDT: "+11:00",
};

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DUE_AT_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const VERSION_RE = /^\d{4}\.\d{1,2}\.\d+$/;
const UTC_LABEL_RE = /^(?:UTC|GMT)([+-])(\d{1,2})(?::?(\d{2}))?$/;

const TOP_LEVEL_KEYS = Object.keys(datasetSchema.shape);
const CONFERENCE_KEYS = new Set(Object.keys(datasetConferenceSchema.shape));
const DEADLINE_KEYS = new Set(Object.keys(datasetDeadlineFields.shape));

type Json = unknown;
type Obj = Record<string, Json>;

function isObj(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNonBlank(v: Json): v is string {
  return typeof v === "string" && v.trim().length > 0;
}

/** The fixed offset ("+HH:MM"/"-HH:MM") a timezone label stands for, or null if the label is unknown. */
export function offsetForLabel(label: string): string | null {
  const known = TIMEZONE_OFFSETS[label];
  if (known !== undefined) return known;
  const m = UTC_LABEL_RE.exec(label);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  if (hours > 14 || minutes > 59) return null;
  return `${m[1]}${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

function normalizeOffset(offset: string): string {
  return offset === "Z" ? "+00:00" : offset === "-00:00" ? "+00:00" : offset;
}

/** True when `s` is YYYY-MM-DD and names a real calendar day. */
export function isCalendarDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function checkHttpsUrl(v: Json, where: string, problems: string[]): void {
  if (typeof v !== "string" || !v.startsWith("https://")) {
    problems.push(`${where}: must be a URL starting with https:// (got ${JSON.stringify(v)})`);
    return;
  }
  try {
    new URL(v);
  } catch {
    problems.push(`${where}: ${JSON.stringify(v)} is not a valid URL`);
  }
}

function checkNullableText(v: Json, where: string, problems: string[]): void {
  if (v !== null && !isNonBlank(v)) {
    problems.push(`${where}: must be a non-blank string, or null when unknown (got ${JSON.stringify(v)})`);
  }
}

/**
 * Every problem in a parsed conferences.json, as human-readable lines that name the conference
 * (index, acronym, year) and the field. An empty list means the dataset is valid.
 */
export function validateDataset(json: Json): string[] {
  const problems: string[] = [];
  if (!isObj(json)) return ['top level: must be a JSON object with "dataset" and "conferences"'];

  for (const key of Object.keys(json)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      problems.push(`top level: unknown key "${key}" (allowed: ${TOP_LEVEL_KEYS.join(", ")})`);
    }
  }

  const dataset = json.dataset;
  if (!isObj(dataset)) {
    problems.push('dataset: must be an object { "name": ..., "version": ... }');
  } else {
    if (!isNonBlank(dataset.name)) problems.push("dataset.name: must be a non-blank string");
    if (typeof dataset.version !== "string" || !VERSION_RE.test(dataset.version)) {
      problems.push(`dataset.version: must look like YYYY.M.N, e.g. "2026.11.0" (got ${JSON.stringify(dataset.version)})`);
    }
  }

  const topicSlugs = new Set<string>();
  if (json.topics !== undefined) {
    if (!Array.isArray(json.topics)) {
      problems.push("topics: must be an array of { slug, name }");
    } else {
      json.topics.forEach((t: Json, i: number) => {
        const where = `topics[${i}]`;
        if (!isObj(t)) {
          problems.push(`${where}: must be an object { slug, name }`);
          return;
        }
        if (typeof t.slug !== "string" || !SLUG_PATTERN.test(t.slug)) {
          problems.push(`${where}.slug: must be kebab-case like "machine-learning" (got ${JSON.stringify(t.slug)})`);
        } else if (topicSlugs.has(t.slug)) {
          problems.push(`${where}.slug: "${t.slug}" is listed twice`);
        } else {
          topicSlugs.add(t.slug);
        }
        if (!isNonBlank(t.name)) problems.push(`${where}.name: must be a non-blank string`);
      });
    }
  }

  const conferences = json.conferences;
  if (!Array.isArray(conferences) || conferences.length === 0) {
    problems.push("conferences: must be a non-empty array");
    return problems;
  }

  const seen = new Map<string, number>();
  conferences.forEach((conf: Json, i: number) => {
    if (!isObj(conf)) {
      problems.push(`conferences[${i}]: must be an object`);
      return;
    }
    const label = `conferences[${i}] (${typeof conf.acronym === "string" ? conf.acronym : "?"} ${
      typeof conf.year === "number" ? conf.year : "?"
    })`;
    const at = (field: string) => `${label}.${field}`;

    for (const key of Object.keys(conf)) {
      if (!CONFERENCE_KEYS.has(key)) {
        problems.push(`${at(key)}: unknown field (allowed: ${[...CONFERENCE_KEYS].join(", ")})`);
      }
    }

    if (!isNonBlank(conf.acronym)) {
      problems.push(`${at("acronym")}: must be a non-blank string`);
    } else if (conf.acronym.length > ACRONYM_MAX || conf.acronym !== conf.acronym.trim()) {
      problems.push(`${at("acronym")}: must be at most ${ACRONYM_MAX} characters without surrounding spaces`);
    }
    if (!isNonBlank(conf.name)) problems.push(`${at("name")}: must be a non-blank string`);

    const year = conf.year;
    if (typeof year !== "number" || !Number.isInteger(year) || year < EDITION_YEARS.min || year > EDITION_YEARS.max) {
      problems.push(
        `${at("year")}: must be an integer between ${EDITION_YEARS.min} and ${EDITION_YEARS.max} (got ${JSON.stringify(year)})`,
      );
    }

    if (typeof conf.acronym === "string" && typeof year === "number") {
      const key = `${conf.acronym.trim().toLowerCase()}\u0000${year}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(`${at("acronym")}: duplicate (acronym, year) — conferences[${first}] is also ${conf.acronym} ${year}`);
      } else {
        seen.set(key, i);
      }
    }

    checkHttpsUrl(conf.website, at("website"), problems);
    checkNullableText(conf.city, at("city"), problems);
    checkNullableText(conf.country, at("country"), problems);

    if (typeof conf.format !== "string" || !(CONFERENCE_FORMATS as readonly string[]).includes(conf.format)) {
      problems.push(`${at("format")}: must be one of ${CONFERENCE_FORMATS.join(", ")} (got ${JSON.stringify(conf.format)})`);
    }

    let start: string | null = null;
    let end: string | null = null;
    for (const field of ["start_date", "end_date"] as const) {
      const v = conf[field];
      if (v === null) continue;
      if (typeof v !== "string" || !isCalendarDate(v)) {
        problems.push(`${at(field)}: must be a calendar date YYYY-MM-DD or null (got ${JSON.stringify(v)})`);
      } else if (field === "start_date") {
        start = v;
      } else {
        end = v;
      }
    }
    if ((conf.start_date === null) !== (conf.end_date === null)) {
      problems.push(`${at("end_date")}: start_date and end_date must both be set or both be null`);
    }
    if (start !== null && end !== null && end < start) {
      problems.push(`${at("end_date")}: ${end} is before start_date ${start}`);
    }
    if (start !== null && typeof year === "number" && Number(start.slice(0, 4)) !== year) {
      problems.push(`${at("start_date")}: ${start} is not in the edition year ${year}`);
    }
    if (typeof conf.dates_estimated !== "boolean") {
      problems.push(`${at("dates_estimated")}: must be true or false`);
    }

    if (!Array.isArray(conf.topics) || conf.topics.length === 0) {
      problems.push(`${at("topics")}: must be a non-empty array of topic slugs`);
    } else {
      const mine = new Set<string>();
      conf.topics.forEach((slug: Json, t: number) => {
        if (typeof slug !== "string" || !SLUG_PATTERN.test(slug)) {
          problems.push(`${at(`topics[${t}]`)}: must be a kebab-case slug (got ${JSON.stringify(slug)})`);
        } else if (!topicSlugs.has(slug)) {
          problems.push(`${at(`topics[${t}]`)}: unknown topic "${slug}"; add it to the top-level "topics" list`);
        } else if (mine.has(slug)) {
          problems.push(`${at(`topics[${t}]`)}: "${slug}" is listed twice`);
        }
        if (typeof slug === "string") mine.add(slug);
      });
    }

    if (!isObj(conf.source)) {
      problems.push(`${at("source")}: must be an object { "url": "https://..." }`);
    } else {
      checkHttpsUrl(conf.source.url, at("source.url"), problems);
    }

    if (!Array.isArray(conf.deadlines)) {
      problems.push(`${at("deadlines")}: must be an array (may be empty)`);
      return;
    }
    const kinds = new Map<string, number>();
    conf.deadlines.forEach((dl: Json, j: number) => {
      const dat = (field: string) => at(`deadlines[${j}].${field}`);
      if (!isObj(dl)) {
        problems.push(`${at(`deadlines[${j}]`)}: must be an object`);
        return;
      }
      for (const key of Object.keys(dl)) {
        if (!DEADLINE_KEYS.has(key)) {
          problems.push(`${dat(key)}: unknown field (allowed: ${[...DEADLINE_KEYS].join(", ")})`);
        }
      }
      if (typeof dl.kind !== "string" || !(DEADLINE_KINDS as readonly string[]).includes(dl.kind)) {
        problems.push(`${dat("kind")}: must be one of ${DEADLINE_KINDS.join(", ")} (got ${JSON.stringify(dl.kind)})`);
      } else {
        const first = kinds.get(dl.kind);
        if (first !== undefined) {
          problems.push(
            `${dat("kind")}: duplicate deadline kind "${dl.kind}" (also deadlines[${first}]); keep one per kind and mention other cycles in its note`,
          );
        } else {
          kinds.set(dl.kind, j);
        }
      }

      let expectedOffset: string | null = null;
      if (!isNonBlank(dl.timezone)) {
        problems.push(`${dat("timezone")}: must be the label the call for papers uses, e.g. "AoE"`);
      } else {
        expectedOffset = offsetForLabel(dl.timezone);
        if (expectedOffset === null) {
          problems.push(
            `${dat("timezone")}: unknown label "${dl.timezone}"; use AoE, UTC, UTC-7, PST, PDT, EST, EDT, ... (see TIMEZONE_OFFSETS in data/validate.ts)`,
          );
        }
      }

      const dueAt = dl.due_at;
      const m = typeof dueAt === "string" ? DUE_AT_RE.exec(dueAt) : null;
      if (typeof dueAt !== "string" || m === null) {
        problems.push(
          `${dat("due_at")}: must be ISO 8601 with an explicit offset, e.g. "2027-01-28T23:59:59-12:00" (got ${JSON.stringify(dueAt)})`,
        );
      } else {
        const [, day, hh, mm, ss, offset] = m as unknown as [string, string, string, string, string | undefined, string];
        if (!isCalendarDate(day) || Number(hh) > 23 || Number(mm) > 59 || Number(ss ?? "0") > 59) {
          problems.push(`${dat("due_at")}: ${dueAt} is not a real date and time`);
        } else if (expectedOffset !== null && normalizeOffset(offset) !== normalizeOffset(expectedOffset)) {
          problems.push(
            `${dat("due_at")}: offset ${offset} does not match timezone "${String(dl.timezone)}" (expected ${expectedOffset})`,
          );
        } else if (end !== null && day > end) {
          problems.push(`${dat("due_at")}: ${dueAt} falls after the conference ends (${end})`);
        }
      }

      if (typeof dl.estimated !== "boolean") {
        problems.push(`${dat("estimated")}: must be true or false`);
      }
      if (dl.note !== null && !isNonBlank(dl.note)) {
        problems.push(`${dat("note")}: must be a non-blank string or null`);
      }
      if (dl.estimated === true && !isNonBlank(dl.note)) {
        problems.push(`${dat("note")}: an estimated deadline needs a note saying what it is estimated from`);
      }
    });
  });

  return problems;
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

/** Counts for the CLI and the report. Call only on a dataset that validateDataset accepted. */
export function summarizeDataset(json: Json, asOf: Date): DatasetSummary {
  const conferences = (json as { conferences: Array<Record<string, unknown>> }).conferences;
  const s: DatasetSummary = {
    conferences: conferences.length,
    acronyms: new Set(conferences.map((c) => String(c.acronym).toLowerCase())).size,
    withUpcomingDeadlines: 0,
    withUpcomingEstimatedDeadlines: 0,
    estimatedConferences: 0,
    datesEstimated: 0,
    deadlines: 0,
    estimatedDeadlines: 0,
    upcomingDeadlines: 0,
  };
  for (const c of conferences) {
    const deadlines = c.deadlines as Array<{ due_at: string; estimated: boolean }>;
    const upcoming = deadlines.filter((d) => Date.parse(d.due_at) > asOf.getTime());
    s.deadlines += deadlines.length;
    s.estimatedDeadlines += deadlines.filter((d) => d.estimated).length;
    s.upcomingDeadlines += upcoming.length;
    if (upcoming.length > 0) s.withUpcomingDeadlines += 1;
    if (upcoming.some((d) => d.estimated)) s.withUpcomingEstimatedDeadlines += 1;
    if (c.dates_estimated === true) s.datesEstimated += 1;
    if (c.dates_estimated === true || deadlines.some((d) => d.estimated)) s.estimatedConferences += 1;
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
      if (value === undefined || !isCalendarDate(value)) {
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

  let json: Json;
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
