/**
 * The page's data model: an edition as the page's queries return it (queries.ts, EDITION_COLUMNS),
 * and the pure functions that pick and order its deadlines for a filter. The page, the edition page
 * and the calendar feeds all list deadlines through these, so they agree on what "upcoming" means.
 */
import type { DeadlineKind } from "../api/schemas.js";

export interface EditionDeadline {
  id: number;
  kind: DeadlineKind;
  due_at: Date;
  /** The label the call for papers used: AoE, UTC, PST, Europe/Berlin, ... */
  timezone: string;
  estimated: boolean;
  note: string | null;
}

export interface Edition {
  id: number;
  acronym: string;
  name: string;
  year: number;
  website: string | null;
  city: string | null;
  country: string | null;
  format: string;
  start_date: string | null;
  end_date: string | null;
  dates_estimated: boolean;
  /** The dataset's source URL: the call for papers (null for an edition entered through the API). */
  cfp_url: string | null;
  dataset_name: string | null;
  dataset_version: string | null;
  topics: { slug: string; name: string }[];
  /** All its deadlines, soonest first. */
  deadlines: EditionDeadline[];
  /** Its last day is over everywhere (AoE); see EDITION_ENDED in queries.ts. */
  ended: boolean;
}

export interface DeadlineRow extends EditionDeadline {
  edition: Edition;
}

type Row = Record<string, unknown>;

/**
 * An edition from a row of pageEditionsQuery or editionQuery. JSON built inside PostgreSQL carries
 * deadlines' instants as text in the session's zone; here they become Dates.
 */
export function toEdition(row: Row): Edition {
  const deadlines = (row.deadlines as Row[]).map((d) => ({ ...d, due_at: new Date(String(d.due_at)) }) as EditionDeadline);
  return { ...(row as unknown as Edition), deadlines };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function flatten(editions: readonly Edition[], kinds: readonly DeadlineKind[]): DeadlineRow[] {
  const wanted = new Set(kinds);
  return editions.flatMap((edition) => edition.deadlines.filter((d) => wanted.has(d.kind)).map((d) => ({ ...d, edition })));
}

const byDueThenName = (a: DeadlineRow, b: DeadlineRow) =>
  a.due_at.getTime() - b.due_at.getTime() || a.edition.acronym.localeCompare(b.edition.acronym) || a.id - b.id;

/** Deadlines of `kinds` due from `now` to `days` days ahead, soonest first. */
export function upcomingDeadlines(
  editions: readonly Edition[],
  kinds: readonly DeadlineKind[],
  now: Date,
  days: number,
): DeadlineRow[] {
  const from = now.getTime();
  const to = from + days * DAY_MS;
  return flatten(editions, kinds)
    .filter((d) => d.due_at.getTime() >= from && d.due_at.getTime() < to)
    .sort(byDueThenName);
}

/** Deadlines of `kinds` that passed in the `days` days before `now`, most recent first. */
export function passedDeadlines(
  editions: readonly Edition[],
  kinds: readonly DeadlineKind[],
  now: Date,
  days: number,
): DeadlineRow[] {
  const to = now.getTime();
  const from = to - days * DAY_MS;
  return flatten(editions, kinds)
    .filter((d) => d.due_at.getTime() < to && d.due_at.getTime() >= from)
    .sort((a, b) => -byDueThenName(a, b));
}

/** Every deadline of `kinds` of these editions, soonest first: what a calendar feed holds. */
export const allDeadlines = (editions: readonly Edition[], kinds: readonly DeadlineKind[]): DeadlineRow[] =>
  flatten(editions, kinds).sort(byDueThenName);

/** The edition's next deadline of `kinds` at `now`, or undefined. */
export function nextDeadline(edition: Edition, kinds: readonly DeadlineKind[], now: Date): EditionDeadline | undefined {
  const wanted = new Set(kinds);
  return edition.deadlines.find((d) => wanted.has(d.kind) && d.due_at.getTime() >= now.getTime());
}
