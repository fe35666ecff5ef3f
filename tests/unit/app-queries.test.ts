import { describe, expect, it } from "vitest";
import {
  buildInsert,
  buildUpdate,
  CONFERENCE_FIELD_COLUMNS,
  conferenceFilters,
  conferenceListQueries,
  likePattern,
  upcomingDeadlinesQuery,
} from "../../app/src/api/queries.js";

const now = new Date("2026-01-01T00:00:00Z");

describe("likePattern", () => {
  it("wraps in % and escapes LIKE wildcards and backslashes", () => {
    expect(likePattern("neur")).toBe("%neur%");
    expect(likePattern("100%_a\\b")).toBe("%100\\%\\_a\\\\b%");
  });
});

describe("conferenceFilters", () => {
  it("is empty without filters", () => {
    expect(conferenceFilters({})).toEqual({ where: "", values: [] });
  });

  it("numbers parameters from $2 ($1 is now) in a fixed order", () => {
    const f = conferenceFilters({ q: "NeurIPS", topic: "machine-learning", deadline_within_days: 30, year: 2026 });
    expect(f.values).toEqual(["%neurips%", "machine-learning", 30, 2026]);
    expect(f.where).toMatch(/lower\(c\.name\) LIKE \$2 OR lower\(c\.acronym\) LIKE \$2/);
    expect(f.where).toMatch(/t\.slug = \$3/);
    expect(f.where).toMatch(/make_interval\(days => \$4::int\)/);
    expect(f.where).toMatch(/c\.edition_year = \$5/);
  });
});

describe("conferenceListQueries", () => {
  it("puts limit and offset after the filters, and counts with the same filters", () => {
    const { page, count } = conferenceListQueries({ year: 2026, limit: 20, offset: 40 }, now);
    expect(page.values).toEqual([now, 2026, 20, 40]);
    expect(page.text).toMatch(/LIMIT \$3 OFFSET \$4/);
    expect(count.values).toEqual([now, 2026]);
    expect(count.text).toMatch(/c\.edition_year = \$2/);
  });
});

describe("upcomingDeadlinesQuery", () => {
  it("takes now, days and limit as parameters", () => {
    expect(upcomingDeadlinesQuery(now, 14, 5).values).toEqual([now, 14, 5]);
  });
});

describe("buildInsert / buildUpdate", () => {
  it("uses only the fields present, mapped to columns", () => {
    const q = buildInsert("conferences", CONFERENCE_FIELD_COLUMNS, { acronym: "X", year: 2026, website: null, city: undefined });
    expect(q.text).toBe("INSERT INTO conferences (acronym, edition_year, website) VALUES ($1, $2, $3) RETURNING id");
    expect(q.values).toEqual(["X", 2026, null]);
  });

  it("adds extra columns first", () => {
    const q = buildInsert("deadlines", { kind: "kind" }, { kind: "paper" }, { conference_id: 4 });
    expect(q.text).toBe("INSERT INTO deadlines (conference_id, kind) VALUES ($1, $2) RETURNING id");
  });

  it("numbers SET parameters after the WHERE values and ignores unknown keys", () => {
    const q = buildUpdate(
      "conferences",
      CONFERENCE_FIELD_COLUMNS,
      { name: "N", year: 2027, topics: ["a"] },
      { sql: "id = $1", values: [9] },
    );
    expect(q?.text).toBe("UPDATE conferences SET name = $2, edition_year = $3 WHERE id = $1 RETURNING id");
    expect(q?.values).toEqual([9, "N", 2027]);
  });

  it("returns null when there is nothing to set", () => {
    expect(buildUpdate("conferences", CONFERENCE_FIELD_COLUMNS, { topics: [] }, { sql: "id = $1", values: [1] })).toBeNull();
  });
});
