import { describe, expect, it } from "vitest";
import { escapeHtml, html, raw, safeHref } from "../../app/src/web/html.js";
import { renderPage, type PageData } from "../../app/src/web/page.js";
import { formatDateRange, formatDuration, formatTimeLeft, formatUtc, urgency } from "../../app/src/web/time.js";

const now = new Date("2026-03-01T12:00:00Z");
const at = (ms: number) => new Date(now.getTime() + ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe("formatTimeLeft", () => {
  it.each([
    [12 * DAY + 5 * HOUR, "in 12 days"],
    [2 * DAY, "in 2 days"],
    [47 * HOUR + 59 * MIN, "in 47 hours"],
    [HOUR, "in 1 hour"],
    [59 * MIN + 59_000, "in 59 minutes"],
    [MIN, "in 1 minute"],
    [30_000, "in less than a minute"],
    [0, "in less than a minute"],
    [-10 * MIN, "just passed"],
    [-5 * HOUR, "5 hours ago"],
    [-3 * DAY, "3 days ago"],
  ])("%i ms ahead -> %s", (ms, expected) => {
    expect(formatTimeLeft(at(ms), now)).toBe(expected);
  });

  it("rounds down so a deadline never looks further away than it is", () => {
    expect(formatTimeLeft(at(3 * DAY - 1), now)).toBe("in 2 days");
  });
});

describe("urgency", () => {
  it("is urgent under 3 days, soon under 14, later after", () => {
    expect(urgency(at(2 * DAY), now)).toBe("urgent");
    expect(urgency(at(10 * DAY), now)).toBe("soon");
    expect(urgency(at(30 * DAY), now)).toBe("later");
  });
});

describe("date formatting", () => {
  it.each([
    ["2026-12-06", "2026-12-12", "6–12 Dec 2026"],
    ["2026-06-28", "2026-07-03", "28 Jun – 3 Jul 2026"],
    ["2026-12-30", "2027-01-02", "30 Dec 2026 – 2 Jan 2027"],
    ["2026-05-01", "2026-05-01", "1 May 2026"],
    ["2026-05-01", null, "1 May 2026"],
    [null, null, "dates not announced"],
  ])("%s..%s -> %s", (start, end, expected) => {
    expect(formatDateRange(start, end)).toBe(expected);
  });

  it("formats instants in UTC and durations", () => {
    expect(formatUtc(new Date("2026-05-12T11:59:59Z"))).toBe("2026-05-12 11:59 UTC");
    expect(formatDuration(now, at(350))).toBe("350 ms");
    expect(formatDuration(now, at(2400))).toBe("2.4 s");
    expect(formatDuration(now, null)).toBe("");
  });
});

describe("HTML escaping", () => {
  it("escapes the characters that matter in text and attributes", () => {
    expect(escapeHtml(`<script>alert("x" + 'y')</script> & \``)).toBe(
      "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; &amp; &#96;",
    );
    expect(escapeHtml(null)).toBe("");
  });

  it("escapes interpolations in html`` but not SafeHtml, and joins arrays", () => {
    const name = "<b>bold</b>";
    expect(html`<td title="${name}">${name}</td>`.value).toBe('<td title="&lt;b&gt;bold&lt;/b&gt;">&lt;b&gt;bold&lt;/b&gt;</td>');
    expect(html`<ul>${["<a>", "b"].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe("<ul><li>&lt;a&gt;</li><li>b</li></ul>");
    expect(html`${raw("<hr>")}${false}${undefined}`.value).toBe("<hr>");
  });

  it("only lets http(s) URLs become links", () => {
    expect(safeHref("https://neurips.cc/")).toBe("https://neurips.cc/");
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("data:text/html,x")).toBeNull();
    expect(safeHref(null)).toBeNull();
  });
});

function pageData(overrides: Partial<PageData> = {}): PageData {
  return {
    now,
    upcomingDays: 90,
    upcoming: [
      {
        id: 1,
        kind: "paper",
        due_at: at(12 * DAY),
        timezone: "AoE",
        estimated: true,
        note: "<i>guess</i>",
        conference_id: 7,
        acronym: "<XSS>",
        name: "Evil & Co",
        year: 2026,
        website: "javascript:alert(1)",
      },
    ],
    conferences: [
      {
        id: 7,
        acronym: "<XSS>",
        name: "Evil & Co",
        year: 2026,
        website: "https://example.org/?a=1&b=2",
        city: "Zürich",
        country: "Switzerland",
        format: "hybrid",
        start_date: "2026-06-01",
        end_date: "2026-06-05",
        dates_estimated: true,
        topics: [{ slug: "ml", name: "<ML>" }],
        next_deadline: { kind: "paper", due_at: at(12 * DAY).toISOString(), timezone: "AoE", estimated: true },
      },
    ],
    conferencesTotal: 1,
    conferencesAll: 4,
    topics: [{ slug: "ml", name: "<ML>", conference_count: 1 }],
    runs: [
      {
        id: 3,
        started_at: now,
        finished_at: at(1500),
        status: "failed",
        trigger: "manual",
        dataset_name: "d",
        dataset_version: "1",
        rows_inserted: 0,
        rows_updated: 0,
        rows_unchanged: 0,
        error: "bad <row>",
      },
    ],
    filters: { q: '"><script>' },
    ...overrides,
  };
}

describe("renderPage", () => {
  const page = renderPage(pageData());

  it("escapes every value from the database and the query string", () => {
    expect(page).not.toContain("<XSS>");
    expect(page).not.toContain("<ML>");
    expect(page).not.toContain("<i>guess</i>");
    expect(page).not.toContain("bad <row>");
    expect(page).not.toContain('"><script>');
    expect(page).toContain("&lt;XSS&gt; 2026");
    expect(page).toContain("Evil &amp; Co");
    expect(page).toContain('href="https://example.org/?a=1&amp;b=2"');
    expect(page).not.toContain("javascript:");
  });

  it("shows time left, the CFP time zone and estimated marks", () => {
    expect(page).toContain("in 12 days");
    expect(page).toContain("(AoE)");
    expect(page.match(/class="est"/g)?.length).toBeGreaterThanOrEqual(4); // deadline, dates, next deadline, legend
    expect(page).toContain("1–5 Jun 2026");
    expect(page).toContain("Zürich, Switzerland");
  });

  it("says how many match a filter out of how many", () => {
    expect(page).toContain("1 of 4 conferences match");
    expect(renderPage(pageData({ filters: {} }))).toContain("4 conferences tracked");
  });

  it("shows the ingest runs with status, counts and error", () => {
    expect(page).toMatch(/class="status-failed">failed/);
    expect(page).toContain("1.5 s");
  });

  it("says what to do when there is nothing yet", () => {
    const empty = renderPage(
      pageData({ upcoming: [], conferences: [], conferencesTotal: 0, conferencesAll: 0, runs: [], topics: [], filters: {} }),
    );
    expect(empty).toContain("No deadlines in the next 90 days");
    expect(empty).toContain("npm run ingest");
    expect(empty).toContain("No conferences match.");
  });
});
