import { describe, expect, it } from "vitest";
import {
  formatOffset,
  labelForOffset,
  offsetOf,
  parseTimezoneLabel,
  timezoneMismatch,
  unknownTimezoneText,
} from "../../app/src/api/timezones.js";

const mismatch = (label: string, dueAt: string) => timezoneMismatch(parseTimezoneLabel(label)!, dueAt);

describe("time zone labels", () => {
  it.each([
    ["AoE", "AoE"],
    ["aoe", "AoE"],
    ["utc", "UTC"],
    ["PST", "PST"],
    ["UTC-4", "UTC-4"],
    ["utc+05:30", "UTC+05:30"],
    ["GMT+1", "GMT+1"],
    ["Europe/Berlin", "Europe/Berlin"],
    ["america/los_angeles", "America/Los_Angeles"],
  ])("knows %s, stored as %s", (raw, stored) => {
    expect(parseTimezoneLabel(raw)?.label).toBe(stored);
  });

  it.each(["Mars/Olympus", "XYZT", "UTC+15", "UTC+05:75", "PT", "Berlin", ""])("does not know %j", (raw) => {
    expect(parseTimezoneLabel(raw)).toBeUndefined();
  });

  // The fixed-offset labels data/validate.ts had a list of before it checked through this module:
  // the shipped dataset may use any of them, so none may be lost.
  const FORMER_GUARD_LABELS: Record<string, string> = {
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

  it("knows every label the dataset guard used to list, with its offset", () => {
    for (const [label, offset] of Object.entries(FORMER_GUARD_LABELS)) {
      const parsed = parseTimezoneLabel(label);
      expect(parsed, label).toBeDefined();
      expect(parsed!.offsetsAt(new Date()).map(formatOffset), label).toContain(offset);
    }
  });

  it("says when a label contradicts the offset due_at is written with", () => {
    expect(mismatch("AoE", "2026-05-01T23:59:59-12:00")).toBeUndefined();
    expect(mismatch("AoE", "2026-05-01T23:59:59+09:00")).toBe("AoE is UTC-12:00, but due_at is written with the offset +09:00");
    expect(mismatch("UTC", "2026-05-01T12:00:00Z")).toBeUndefined();
    expect(mismatch("UTC-4", "2026-05-01T12:00:00-04:00")).toBeUndefined();
    expect(mismatch("CST", "2026-05-01T12:00:00+08:00")).toBeUndefined(); // China Standard Time
    expect(mismatch("CST", "2026-05-01T12:00:00Z")).toBe(
      "CST is UTC-06:00 or UTC+08:00, but due_at is written with the offset +00:00",
    );
  });

  it("follows daylight saving time for an IANA name", () => {
    expect(mismatch("America/Los_Angeles", "2026-07-01T23:59:59-07:00")).toBeUndefined();
    expect(mismatch("America/Los_Angeles", "2026-01-15T23:59:59-08:00")).toBeUndefined();
    expect(mismatch("America/Los_Angeles", "2026-01-15T23:59:59-07:00")).toBe(
      "America/Los_Angeles is UTC-08:00 on 2026-01-15, but due_at is written with the offset -07:00",
    );
  });

  it("names the offset when no label is given", () => {
    expect(labelForOffset(offsetOf("2026-05-01T23:59:59-12:00"))).toBe("AoE");
    expect(labelForOffset(offsetOf("2026-05-01T23:59:59Z"))).toBe("UTC");
    expect(labelForOffset(offsetOf("2026-05-01T23:59:59+05:30"))).toBe("UTC+05:30");
    expect(labelForOffset(offsetOf("2026-05-01T23:59:59-03:00"))).toBe("UTC-03:00");
  });

  it("tells an unknown label what to use instead", () => {
    expect(unknownTimezoneText("PT")).toMatch(/^"PT" is not a known time zone: use AoE, UTC, UTC±HH:MM, .*Europe\/Berlin$/);
  });
});
