/**
 * The time zone label of a deadline: which labels exist, and which UTC offsets each stands for.
 * A deadline's `due_at` carries its own offset (2026-05-11T23:59:59-12:00) and the database keeps
 * only the instant; the label is what the call for papers said. A label must be known, and must
 * mean the offset `due_at` is written with: "AoE" on +09:00 is a contradiction, not a deadline
 * (issue 17). The API and the dataset schema both check through this module.
 */

/**
 * Abbreviations calls for papers use, each with every offset (minutes east of UTC) it stands for:
 * some mean several (CST is US Central or China, IST India, Ireland or Israel). Standard and
 * summer time are different labels (PST is -08:00, PDT -07:00); an IANA name covers both.
 */
const ABBREVIATIONS: Record<string, readonly number[]> = {
  AoE: [-720], // Anywhere on Earth: the last time zone where the day is still the given date
  UTC: [0],
  GMT: [0],
  WET: [0],
  WEST: [60],
  BST: [60],
  CET: [60],
  CEST: [120],
  EET: [120],
  EEST: [180],
  MSK: [180],
  IST: [330, 60, 120],
  HST: [-600],
  AKST: [-540],
  AKDT: [-480],
  PST: [-480],
  PDT: [-420],
  MST: [-420],
  MDT: [-360],
  CST: [-360, 480],
  CDT: [-300],
  EST: [-300],
  EDT: [-240],
  AST: [-240],
  NST: [-210],
  NDT: [-150],
  BRT: [-180],
  ART: [-180],
  SGT: [480],
  HKT: [480],
  AWST: [480],
  JST: [540],
  KST: [540],
  ACST: [570],
  ACDT: [630],
  AEST: [600],
  AEDT: [660],
  NZST: [720],
  NZDT: [780],
};

const BY_UPPER_CASE = new Map(Object.keys(ABBREVIATIONS).map((k) => [k.toUpperCase(), k]));

/** "UTC-4", "UTC+05:30", "GMT+1", "UTC−12" (with a minus sign). */
const FIXED_OFFSET = /^(UTC|GMT)\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?$/i;

export const KNOWN_LABELS_TEXT =
  "use AoE, UTC, UTC±HH:MM, an abbreviation such as PST, CEST or JST, or an IANA name such as Europe/Berlin";

export interface TimezoneLabel {
  /** As stored: the abbreviation's usual spelling, "UTC" upper-cased, an IANA zone's canonical name. */
  label: string;
  /** The offsets (minutes east of UTC) the label stands for at `instant`: DST matters for IANA names. */
  offsetsAt(instant: Date): number[];
  /** An IANA name's offset changes over the year: messages then say on which date. */
  variesByDate: boolean;
}

function ianaZone(name: string): string | undefined {
  // Area/Location names only: "EST" or "PST8PDT" are IANA ids too, but read as abbreviations above.
  if (!/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined; // RangeError: not a zone this runtime's ICU knows
  }
}

function ianaOffset(zone: string, instant: Date): number {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(instant)
    .find((p) => p.type === "timeZoneName")?.value; // "GMT-07:00", or "GMT" for UTC itself
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name ?? "");
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** The label as stored and what it means, or undefined for a label this module does not know. */
export function parseTimezoneLabel(raw: string): TimezoneLabel | undefined {
  const text = raw.trim();
  const abbreviation = BY_UPPER_CASE.get(text.toUpperCase());
  if (abbreviation) {
    const offsets = [...ABBREVIATIONS[abbreviation]!];
    return { label: abbreviation, offsetsAt: () => offsets, variesByDate: false };
  }
  const fixed = FIXED_OFFSET.exec(text);
  if (fixed) {
    const [, prefix, sign, hours, minutes = "00"] = fixed;
    const total = Number(hours) * 60 + Number(minutes);
    if (Number(hours) > 14 || Number(minutes) > 59 || total > 14 * 60) return undefined;
    const offset = (sign === "+" ? 1 : -1) * total;
    const label = `${prefix!.toUpperCase()}${sign === "+" ? "+" : "-"}${text.slice(text.search(/\d/))}`;
    return { label, offsetsAt: () => [offset], variesByDate: false };
  }
  const zone = ianaZone(text);
  if (zone) return { label: zone, offsetsAt: (instant) => [ianaOffset(zone, instant)], variesByDate: true };
  return undefined;
}

/** The offset an ISO 8601 date-time is written with, in minutes east of UTC ("Z" is 0). */
export function offsetOf(isoDateTime: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(isoDateTime);
  if (!m) return 0; // "Z": the schema accepts nothing else without a numeric offset
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** "+09:00", "-12:00", "+00:00". */
export function formatOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** The label a deadline gets when none is given: what its offset says. */
export function labelForOffset(minutes: number): string {
  if (minutes === -720) return "AoE";
  if (minutes === 0) return "UTC";
  return `UTC${formatOffset(minutes)}`;
}

/** Why `label` cannot go with `dueAt`, or undefined when it means the offset dueAt is written with. */
export function timezoneMismatch(label: TimezoneLabel, dueAt: string): string | undefined {
  const offset = offsetOf(dueAt);
  const offsets = label.offsetsAt(new Date(dueAt));
  if (offsets.includes(offset)) return undefined;
  const means = offsets.map((o) => `UTC${formatOffset(o)}`).join(" or ");
  const when = label.variesByDate ? ` on ${dueAt.slice(0, 10)}` : "";
  return `${label.label} is ${means}${when}, but due_at is written with the offset ${formatOffset(offset)}`;
}

export function unknownTimezoneText(raw: string): string {
  return `${JSON.stringify(raw)} is not a known time zone: ${KNOWN_LABELS_TEXT}`;
}
