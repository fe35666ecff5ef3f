/**
 * The page's filters: what the query string may say, what each value means, and the canonical
 * query string for a set of filters (so a filtered view is a URL that can be bookmarked and shared,
 * and its calendar feed carries the same filters). The page, its .ics feed and their tests all read
 * the filters through this module.
 */
import { z } from "zod";
import { DEADLINE_KINDS, searchTerm, slug, type DeadlineKind } from "../api/schemas.js";

/** The deadlines a person submits something by; the default view shows only these. */
export const SUBMISSION_KINDS: readonly DeadlineKind[] = ["abstract", "paper", "supplementary"];

export const KIND_FILTERS = ["submission", "all", ...DEADLINE_KINDS] as const;
export type KindFilter = (typeof KIND_FILTERS)[number];
export const DEFAULT_KIND_FILTER: KindFilter = "submission";

/** Labels for the form's kind menu and for deadline rows. */
export const KIND_LABEL: Record<DeadlineKind, string> = {
  abstract: "Abstract",
  paper: "Full paper",
  supplementary: "Supplementary",
  rebuttal: "Rebuttal",
  notification: "Notification",
  camera_ready: "Camera-ready",
};

export const KIND_FILTER_LABEL: Record<KindFilter, string> = {
  submission: "Submission deadlines",
  all: "All deadlines",
  ...Object.fromEntries(DEADLINE_KINDS.map((k) => [k, `${KIND_LABEL[k]} only`])),
} as Record<KindFilter, string>;

/** The deadline kinds a kind filter keeps. */
export function kindsFor(filter: KindFilter): readonly DeadlineKind[] {
  if (filter === "submission") return SUBMISSION_KINDS;
  if (filter === "all") return DEADLINE_KINDS;
  return [filter];
}

export interface PageFilters {
  /** Text searched in the acronym and the name, case-insensitively. */
  q?: string;
  /** Topic slugs: an edition matches when it has any of them (a person follows several fields). */
  topics: string[];
  kind: KindFilter;
  /** Also list editions that have ended and deadlines that have passed. */
  past: boolean;
}

export const NO_FILTERS: PageFilters = { topics: [], kind: DEFAULT_KIND_FILTER, past: false };

export const MAX_TOPICS = 30;

// A form sends "" for an empty box and "All topics": that is no filter, not a bad value.
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
const asList = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The page's query string, with the API's own field rules (schemas.ts) so a bad value gets the
 * same message here and there. `topic` may repeat; `past` is a checkbox ("1", "on" or "true").
 * Unknown parameters are ignored: links people share carry tracking parameters.
 */
export const pageQuery = z
  .object({
    q: z.preprocess(blankToUndefined, searchTerm.optional()),
    topic: z.preprocess(
      (v) => asList(v).filter((t) => t !== ""),
      z.array(slug).max(MAX_TOPICS, { error: `at most ${MAX_TOPICS} topics at once` }),
    ),
    kind: z.preprocess(
      blankToUndefined,
      z.enum(KIND_FILTERS, { error: `must be one of ${KIND_FILTERS.join(", ")}` }).default(DEFAULT_KIND_FILTER),
    ),
    past: z.preprocess(blankToUndefined, z.enum(["1", "0", "on", "true", "false"], { error: "must be 1 or 0" }).optional()),
  })
  .transform((v): PageFilters => ({
    ...(v.q ? { q: v.q } : {}),
    topics: [...new Set(v.topic)].sort(),
    kind: v.kind,
    past: v.past === "1" || v.past === "on" || v.past === "true",
  }));

/** "q=...&topic=a&topic=b&kind=all&past=1", defaults left out; "" for no filters. */
export function filterQueryString(f: PageFilters): string {
  const params = new URLSearchParams();
  if (f.q) params.set("q", f.q);
  for (const t of f.topics) params.append("topic", t);
  if (f.kind !== DEFAULT_KIND_FILTER) params.set("kind", f.kind);
  if (f.past) params.set("past", "1");
  return params.toString();
}

/** `path` with the filters' query string, e.g. "/calendar.ics?topic=databases". */
export function withFilters(path: string, f: PageFilters): string {
  const qs = filterQueryString(f);
  return qs ? `${path}?${qs}` : path;
}

/** Whether any filter narrows the list of editions (kind and past do not remove editions). */
export const narrowsEditions = (f: PageFilters) => Boolean(f.q) || f.topics.length > 0;

/** "neurips-2026" from "NeurIPS", 2026: the edition in a file name or an event UID, nothing to escape. */
export function editionSlug(e: { acronym: string; year: number }): string {
  return `${e.acronym.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${e.year}`;
}

/** The page of one edition: /conferences/NeurIPS/2026 ("IEEE S&P" becomes IEEE%20S%26P). */
export function editionPath(e: { acronym: string; year: number }): string {
  return `/conferences/${encodeURIComponent(e.acronym)}/${e.year}`;
}
