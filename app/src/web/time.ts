import { formatOffset, parseTimezoneLabel } from "../api/timezones.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/**
 * "in 12 days", "in 30 hours", "in 5 minutes", "in less than a minute", or "3 days ago" for a
 * passed deadline. Rounds down, so a deadline never looks further away than it is. Under two
 * days it counts hours: "in 1 day" would hide whether it is 24 or 47 hours.
 */
export function formatTimeLeft(due: Date, now: Date): string {
  const ms = due.getTime() - now.getTime();
  if (ms < 0) {
    const ago = -ms;
    if (ago < HOUR) return "just passed";
    if (ago < 2 * DAY) return `${plural(Math.floor(ago / HOUR), "hour")} ago`;
    return `${plural(Math.floor(ago / DAY), "day")} ago`;
  }
  if (ms < MINUTE) return "in less than a minute";
  if (ms < HOUR) return `in ${plural(Math.floor(ms / MINUTE), "minute")}`;
  if (ms < 2 * DAY) return `in ${plural(Math.floor(ms / HOUR), "hour")}`;
  return `in ${plural(Math.floor(ms / DAY), "day")}`;
}

/** "urgent" under 3 days, "soon" under 14 days, else "later": drives the colour on the page. */
export function urgency(due: Date, now: Date): "urgent" | "soon" | "later" {
  const ms = due.getTime() - now.getTime();
  if (ms < 3 * DAY) return "urgent";
  if (ms < 14 * DAY) return "soon";
  return "later";
}

/** "2026-05-12 11:59 UTC". */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function parts(isoDate: string): { y: number; m: number; d: number } {
  const [y, m, d] = isoDate.split("-").map(Number);
  return { y: y!, m: m!, d: d! };
}

/** "6–12 Dec 2026", "28 Jun – 3 Jul 2026", "6 Dec 2026", or "dates not announced". */
export function formatDateRange(start: string | null, end: string | null): string {
  if (!start && !end) return "dates not announced";
  if (!start || !end || start === end) {
    const p = parts((start ?? end)!);
    return `${p.d} ${MONTHS[p.m - 1]} ${p.y}`;
  }
  const a = parts(start);
  const b = parts(end);
  if (a.y !== b.y) return `${a.d} ${MONTHS[a.m - 1]} ${a.y} – ${b.d} ${MONTHS[b.m - 1]} ${b.y}`;
  if (a.m !== b.m) return `${a.d} ${MONTHS[a.m - 1]} – ${b.d} ${MONTHS[b.m - 1]} ${b.y}`;
  return `${a.d}–${b.d} ${MONTHS[b.m - 1]} ${b.y}`;
}

/** "2.4 s", "350 ms", or "" while still running. */
export function formatDuration(start: Date, end: Date | null): string {
  if (!end) return "";
  const ms = end.getTime() - start.getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const two = (n: number) => String(n).padStart(2, "0");

/** "Fri 4 Dec 2026 23:59": the wall-clock time `offsetMinutes` east of UTC at `instant`. */
export function formatWallClock(instant: Date, offsetMinutes: number): string {
  const t = new Date(instant.getTime() + offsetMinutes * MINUTE);
  return (
    `${WEEKDAYS[t.getUTCDay()]} ${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()} ` +
    `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}`
  );
}

export interface StatedTime {
  /** "Fri 4 Dec 2026 23:59 AoE": the date and time as the call for papers writes them. */
  text: string;
  /** The offset used, minutes east of UTC. */
  offsetMinutes: number;
  /** Set when the label stands for several offsets (IST, CST) and the first was used. */
  ambiguity?: string;
}

/**
 * A deadline as its call for papers states it: the instant in the zone its label names. The
 * database keeps the instant and the label, not the offset it was written with; for the few labels
 * that stand for several offsets (IST: India, Ireland or Israel) the first, most common meaning is
 * used and `ambiguity` says so. An unknown label (only possible in rows older than the label
 * check) is shown in UTC.
 */
export function statedTime(instant: Date, label: string): StatedTime {
  const parsed = parseTimezoneLabel(label);
  if (!parsed) return { text: `${formatWallClock(instant, 0)} UTC`, offsetMinutes: 0 };
  const offsets = parsed.offsetsAt(instant);
  const offsetMinutes = offsets[0] ?? 0;
  return {
    text: `${formatWallClock(instant, offsetMinutes)} ${parsed.label}`,
    offsetMinutes,
    ...(offsets.length > 1
      ? {
          ambiguity: `${parsed.label} can mean ${offsets.map((o) => `UTC${formatOffset(o)}`).join(" or ")}; read here as the first`,
        }
      : {}),
  };
}

/** "Sat 5 Dec 2026 11:59 UTC": what the page shows beside a deadline before its script puts the reader's own time there. */
export const formatUtcWallClock = (instant: Date) => `${formatWallClock(instant, 0)} UTC`;
