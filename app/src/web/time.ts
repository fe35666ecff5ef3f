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
