import { describe, expect, it } from "vitest";
import { isSuitesOwn } from "../e2e/stackLeftovers.js";

// The rule that lets the e2e suites remove an interrupted run's stack and nothing a developer made.
describe("an e2e run's leftover data volume", () => {
  const volume = "confradar-dev-pgdata";
  const startedAt = "2026-12-03T14:00:00.000Z";

  it("is the suite's own when its creation time is the one the last `up` recorded", () => {
    const record = { volume, startedAt, createdAt: "2026-12-03T14:02:48Z" };
    expect(isSuitesOwn(record, volume, "2026-12-03T14:02:48Z")).toBe(true);
    // Made again since (a developer's `up` after a wipe): not the suite's.
    expect(isSuitesOwn(record, volume, "2026-12-03T15:10:00Z")).toBe(false);
  });

  it("is the suite's own, before any `up` was recorded, only when made in the first up's window", () => {
    const record = { volume, startedAt, createdAt: null };
    expect(isSuitesOwn(record, volume, "2026-12-03T14:00:40Z")).toBe(true);
    expect(isSuitesOwn(record, volume, "2026-12-03T13:59:00Z")).toBe(false);
    expect(isSuitesOwn(record, volume, "2026-12-03T16:00:00Z")).toBe(false);
    expect(isSuitesOwn(record, volume, "not a time")).toBe(false);
  });

  it("is never the suite's without a record, or for another stack's volume", () => {
    expect(isSuitesOwn(undefined, volume, "2026-12-03T14:00:40Z")).toBe(false);
    expect(isSuitesOwn({ volume: "confradar-ci-pgdata", startedAt, createdAt: null }, volume, "2026-12-03T14:00:40Z")).toBe(
      false,
    );
  });
});
