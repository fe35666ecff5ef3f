/**
 * Calendar export: deadlines as an iCalendar (RFC 5545) feed, written by ical-generator (escaping,
 * line folding and CRLF line ends are the library's job, not ours). Each deadline is one event at
 * its instant, in UTC (a "Z" time every calendar reads, no VTIMEZONE needed: AoE has no IANA name
 * calendars agree on), with no end (RFC 5545: it ends when it starts). Its UID names the edition and
 * the kind, not a row id, so a re-import or a new database keeps the same event in a subscribed
 * calendar. Estimated deadlines are TENTATIVE and say so in their title.
 */
import ical, { ICalEventStatus, ICalEventTransparency } from "ical-generator";
import { editionPath, editionSlug, KIND_LABEL } from "./filters.js";
import { safeHref } from "./html.js";
import type { DeadlineRow } from "./listing.js";
import { statedTime } from "./time.js";

export interface CalendarOptions {
  /** The calendar's name, e.g. "ConfRadar: Machine Learning". */
  name: string;
  /** The server's own base URL (http://127.0.0.1:3000), for each event's link to its edition page. */
  baseUrl: string;
  /** DTSTAMP: when the feed was written. */
  now: Date;
}

/** "neurips-2026-paper@confradar": stable across re-imports (one deadline per kind and edition). */
export function deadlineUid(d: DeadlineRow): string {
  return `${editionSlug(d.edition)}-${d.kind}@confradar`;
}

export function deadlineCalendar(deadlines: readonly DeadlineRow[], opts: CalendarOptions): string {
  const calendar = ical({
    name: opts.name,
    prodId: { company: "ConfRadar", product: "deadlines", language: "EN" },
    // Subscribed calendars poll the feed; the dataset changes at most a few times a day.
    ttl: 6 * 60 * 60,
  });
  for (const d of deadlines) {
    const e = d.edition;
    const kind = KIND_LABEL[d.kind] ?? d.kind;
    const page = new URL(editionPath(e), opts.baseUrl).href;
    const cfp = safeHref(e.cfp_url);
    const description = [
      `${e.acronym} ${e.year}: ${e.name}`,
      `${kind} deadline: ${statedTime(d.due_at, d.timezone).text}, as the call for papers states it.`,
      d.estimated ? "Estimated: not announced yet; inferred from earlier editions." : null,
      d.note,
      cfp ? `Call for papers: ${cfp}` : null,
      `All deadlines: ${page}`,
    ].filter((line): line is string => Boolean(line));
    calendar.createEvent({
      id: deadlineUid(d),
      start: d.due_at,
      stamp: opts.now,
      summary: `${e.acronym} ${e.year}: ${kind} deadline${d.estimated ? " (estimated)" : ""}`,
      description: description.join("\n"),
      url: cfp ?? page,
      status: d.estimated ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED,
      // A deadline is a moment to remember, not time the reader is busy.
      transparency: ICalEventTransparency.TRANSPARENT,
    });
  }
  return calendar.toString();
}
