import { describe, expect, it } from "vitest";
import { escapeHtml, html, raw, safeHref } from "../../app/src/web/html.js";
import ICAL from "ical.js";
import { deadlineCalendar, deadlineUid } from "../../app/src/web/calendar.js";
import { editionPath, filterQueryString, kindsFor, NO_FILTERS, pageQuery, withFilters } from "../../app/src/web/filters.js";
import {
  allDeadlines,
  nextDeadline,
  passedDeadlines,
  toEdition,
  upcomingDeadlines,
  type Edition,
} from "../../app/src/web/listing.js";
import { endedParams } from "../../app/src/api/queries.js";
import { renderEditionPage, renderPage, type PageData } from "../../app/src/web/page.js";
import {
  formatDateRange,
  formatDuration,
  formatTimeLeft,
  formatUtc,
  formatUtcWallClock,
  formatWallClock,
  statedTime,
  urgency,
} from "../../app/src/web/time.js";

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

describe("a deadline as the call states it", () => {
  it.each([
    // The issue's example: 23:59 AoE on 4 Dec is 11:59 UTC on 5 Dec; the call says 4 Dec.
    ["2026-12-05T11:59:59Z", "AoE", "Fri 4 Dec 2026 23:59 AoE"],
    ["2026-05-12T11:59:59Z", "UTC", "Tue 12 May 2026 11:59 UTC"],
    ["2026-02-01T07:59:00Z", "PST", "Sat 31 Jan 2026 23:59 PST"],
    ["2026-06-01T03:59:00Z", "UTC-4", "Sun 31 May 2026 23:59 UTC-4"],
    // An IANA name follows summer time: CEST in July, CET in January.
    ["2026-07-01T21:59:00Z", "Europe/Berlin", "Wed 1 Jul 2026 23:59 Europe/Berlin"],
    ["2026-01-15T22:59:00Z", "Europe/Berlin", "Thu 15 Jan 2026 23:59 Europe/Berlin"],
  ])("%s with label %s -> %s", (instant, label, expected) => {
    expect(statedTime(new Date(instant), label).text).toBe(expected);
  });

  it("says which meaning it took for a label with several, and falls back to UTC for an unknown one", () => {
    const ist = statedTime(new Date("2026-03-01T18:29:00Z"), "IST");
    expect(ist.text).toBe("Sun 1 Mar 2026 23:59 IST");
    expect(ist.ambiguity).toBe("IST can mean UTC+05:30 or UTC+01:00 or UTC+02:00; read here as the first");
    expect(statedTime(new Date("2026-03-01T18:29:00Z"), "Mars/Olympus").text).toBe("Sun 1 Mar 2026 18:29 UTC");
    expect(statedTime(new Date("2026-03-01T18:29:00Z"), "UTC").ambiguity).toBeUndefined();
  });

  it("writes wall-clock times at an offset and in UTC", () => {
    expect(formatWallClock(new Date("2026-12-31T23:30:00Z"), 60)).toBe("Fri 1 Jan 2027 00:30");
    expect(formatUtcWallClock(new Date("2026-12-05T11:59:59Z"))).toBe("Sat 5 Dec 2026 11:59 UTC");
  });
});

describe("the page's filters", () => {
  it("read the query string: repeated topics, kind, past, blanks as no filter", () => {
    expect(pageQuery.parse({})).toEqual(NO_FILTERS);
    expect(pageQuery.parse({ q: "", topic: "", kind: "", past: "" })).toEqual(NO_FILTERS);
    expect(pageQuery.parse({ q: " ml ", topic: ["nlp", "databases", "nlp"], kind: "all", past: "1", utm_source: "x" })).toEqual({
      q: "ml",
      topics: ["databases", "nlp"],
      kind: "all",
      past: true,
    });
    expect(pageQuery.parse({ past: "on" }).past).toBe(true);
    expect(pageQuery.parse({ past: "0" }).past).toBe(false);
  });

  it("name the bad value", () => {
    const bad = (query: Record<string, unknown>) => pageQuery.safeParse(query).error?.issues[0];
    expect(bad({ topic: ["ok", "Not a slug"] })?.path).toEqual(["topic", 1]);
    expect(bad({ kind: "deadline" })?.message).toBe(
      "must be one of submission, all, abstract, paper, supplementary, rebuttal, notification, camera_ready",
    );
    expect(bad({ past: "maybe" })?.message).toBe("must be 1 or 0");
    expect(bad({ topic: Array.from({ length: 31 }, (_, i) => `t${i}`) })?.message).toBe("at most 30 topics at once");
  });

  it("write back a canonical query string, defaults left out", () => {
    expect(filterQueryString(NO_FILTERS)).toBe("");
    expect(withFilters("/calendar.ics", NO_FILTERS)).toBe("/calendar.ics");
    const f = pageQuery.parse({ q: "a&b", topic: ["nlp", "databases"], kind: "paper", past: "on" });
    expect(filterQueryString(f)).toBe("q=a%26b&topic=databases&topic=nlp&kind=paper&past=1");
    // Read back as a server reads a query string (a repeated key is a list), it is the same filters.
    const params = new URLSearchParams(filterQueryString(f));
    const query = Object.fromEntries(
      [...new Set(params.keys())].map((k) => [k, k === "topic" ? params.getAll(k) : params.get(k)]),
    );
    expect(pageQuery.parse(query)).toEqual(f);
  });

  it("map kinds and edition paths", () => {
    expect(kindsFor("submission")).toEqual(["abstract", "paper", "supplementary"]);
    expect(kindsFor("all")).toHaveLength(6);
    expect(kindsFor("notification")).toEqual(["notification"]);
    expect(editionPath({ acronym: "IEEE S&P", year: 2027 })).toBe("/conferences/IEEE%20S%26P/2027");
  });
});

const deadline = (
  id: number,
  kind: Edition["deadlines"][number]["kind"],
  ms: number,
  extra: Partial<Edition["deadlines"][number]> = {},
) => ({
  id,
  kind,
  due_at: at(ms),
  timezone: "AoE",
  estimated: false,
  note: null,
  ...extra,
});

function edition(overrides: Partial<Edition> = {}): Edition {
  return {
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
    cfp_url: "https://example.org/cfp",
    dataset_name: "d",
    dataset_version: "1",
    topics: [{ slug: "ml", name: "<ML>" }],
    deadlines: [
      deadline(1, "abstract", -5 * DAY),
      deadline(2, "paper", 12 * DAY, { estimated: true, note: "<i>guess</i>" }),
      deadline(3, "notification", 40 * DAY),
    ],
    ended: false,
    ...overrides,
  };
}

describe("listing deadlines", () => {
  const a = edition();
  const b = edition({ id: 8, acronym: "ZZZ", deadlines: [deadline(4, "paper", 12 * DAY), deadline(5, "abstract", 100 * DAY)] });

  it("keeps the kinds asked for, in the window, soonest first, ties by acronym", () => {
    const rows = upcomingDeadlines([a, b], kindsFor("submission"), now, 90);
    expect(rows.map((r) => [r.edition.acronym, r.kind])).toEqual([
      ["<XSS>", "paper"],
      ["ZZZ", "paper"],
    ]);
    expect(upcomingDeadlines([a, b], kindsFor("all"), now, 90).map((r) => r.id)).toEqual([2, 4, 3]);
  });

  it("lists passed ones most recent first, and the next one of an edition", () => {
    expect(passedDeadlines([a, b], kindsFor("all"), now, 90).map((r) => r.id)).toEqual([1]);
    expect(nextDeadline(a, kindsFor("submission"), now)?.id).toBe(2);
    expect(nextDeadline(a, ["abstract"], now)).toBeUndefined();
    expect(allDeadlines([a], kindsFor("all")).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it("reads the JSON the database builds, instants as Dates", () => {
    const row = { ...edition(), deadlines: [{ ...deadline(1, "paper", 0), due_at: "2026-03-01 13:00:00+01" }] };
    expect(toEdition(row as unknown as Record<string, unknown>).deadlines[0]!.due_at.toISOString()).toBe(
      "2026-03-01T12:00:00.000Z",
    );
  });
});

describe("calendar export", () => {
  const rows = allDeadlines([edition({ acronym: "IEEE S&P", year: 2027 })], kindsFor("all"));
  const text = deadlineCalendar(rows, { name: "ConfRadar test", baseUrl: "http://127.0.0.1:3000", now });
  const parsed = new ICAL.Component(ICAL.parse(text));
  const events = parsed.getAllSubcomponents("vevent");

  it("writes one event per deadline that an RFC 5545 parser reads back", () => {
    expect(text.split("\r\n").length).toBeGreaterThan(10); // CRLF line ends, as the format wants
    expect(parsed.getFirstPropertyValue("x-wr-calname")).toBe("ConfRadar test");
    expect(events).toHaveLength(3);
    const paper = new ICAL.Event(events[1]!);
    expect(paper.uid).toBe("ieee-s-p-2027-paper@confradar");
    expect(paper.uid).toBe(deadlineUid(rows[1]!));
    expect(paper.startDate.toJSDate().toISOString()).toBe(at(12 * DAY).toISOString());
    expect(paper.startDate.zone.tzid).toBe("UTC");
    expect(paper.summary).toBe("IEEE S&P 2027: Full paper deadline (estimated)");
    expect(events[1]!.getFirstPropertyValue("status")).toBe("TENTATIVE");
    expect(events[0]!.getFirstPropertyValue("status")).toBe("CONFIRMED");
    expect(events[1]!.getFirstPropertyValue("url")).toBe("https://example.org/cfp");
    expect(paper.description).toContain("<i>guess</i>"); // plain text in a calendar: nothing to escape but the format's own
    expect(paper.description).toContain("All deadlines: http://127.0.0.1:3000/conferences/IEEE%20S%26P/2027");
    expect(events[1]!.hasProperty("dtend")).toBe(false);
  });

  it("is an empty calendar when nothing matches", () => {
    const empty = new ICAL.Component(ICAL.parse(deadlineCalendar([], { name: "none", baseUrl: "http://x", now })));
    expect(empty.getAllSubcomponents("vevent")).toEqual([]);
  });
});

function pageData(overrides: Partial<PageData> = {}): PageData {
  const editions = [edition()];
  const filters = { ...NO_FILTERS, q: '"><script>' };
  return {
    now,
    filters,
    editions,
    editionsMatching: 2,
    editionsEnded: 1,
    editionsAll: 4,
    upcoming: upcomingDeadlines(editions, kindsFor(filters.kind), now, 90),
    passed: [],
    upcomingDays: 90,
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
    scriptPath: "/assets/page-0123456789ab.js",
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
    expect(renderPage(pageData({ editions: [edition({ website: "javascript:alert(1)", cfp_url: "data:x" })] }))).not.toMatch(
      /javascript:|data:x/,
    );
  });

  it("has one script, from this server, and no inline script", () => {
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).toContain('<script src="/assets/page-0123456789ab.js" defer></script>');
  });

  it("shows the time as stated, UTC until the script puts the reader's time, time left, and estimated marks", () => {
    expect(page).toContain(`<span class="left" data-due="${at(12 * DAY).toISOString()}">in 12 days</span>`);
    expect(page).toContain(`<time class="stated" datetime="${at(12 * DAY).toISOString()}">Fri 13 Mar 2026 00:00 AoE</time>`);
    expect(page).toContain(`data-local="${at(12 * DAY).toISOString()}">Fri 13 Mar 2026 12:00 UTC</div>`);
    expect(page.match(/class="est"/g)?.length).toBeGreaterThanOrEqual(4); // deadline, dates, next deadline, legend
    expect(page).toContain("1–5 Jun 2026");
    expect(page).toContain("Zürich, Switzerland");
    expect(page).toContain('<a class="cfp" href="https://example.org/cfp" rel="noopener noreferrer">Call for papers</a>');
  });

  it("keeps the filters in the form, the calendar link and the counts", () => {
    expect(page).toContain("2 of 4 conferences match; 1 that ended not shown (include past to see them)");
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;"');
    expect(page).toContain('href="/calendar.ics?q=%22%3E%3Cscript%3E"');
    expect(page).toContain("1 submission deadline in the next 90 days");
    expect(renderPage(pageData({ filters: NO_FILTERS }))).toContain("4 conferences tracked");
    const all = renderPage(pageData({ filters: { ...NO_FILTERS, kind: "all", topics: ["ml"] } }));
    expect(all).toContain('<option value="all" selected>');
    expect(all).toContain('<input type="checkbox" name="topic" value="ml" checked>');
    expect(all).toContain("<summary>Fields: &lt;ML&gt;</summary>");
  });

  it("shows the ingest runs with status, counts and error", () => {
    expect(page).toMatch(/class="status-failed">failed/);
    expect(page).toContain("1.5 s");
  });

  it("says what to do when there is nothing yet", () => {
    const empty = renderPage(
      pageData({
        upcoming: [],
        editions: [],
        editionsMatching: 0,
        editionsEnded: 0,
        editionsAll: 0,
        runs: [],
        topics: [],
        filters: NO_FILTERS,
      }),
    );
    expect(empty).toContain("No deadlines yet");
    expect(empty).toContain("npm run ingest");
    expect(empty).toContain("No conferences match.");
  });
});

describe("renderEditionPage", () => {
  const page = renderEditionPage({ now, edition: { ...edition(), other_years: [2025, 2027] }, scriptPath: "/assets/page-x.js" });

  it("lists every deadline, passed ones too, with links, source and calendar", () => {
    expect(page.match(/<tr class="(passed|urgent|soon|later)">/g)).toHaveLength(3);
    expect(page).toContain('<tr class="passed">');
    expect(page).toContain('href="/conferences/%3CXSS%3E/2026/calendar.ics"');
    expect(page).toContain("From the dataset <strong>d</strong> 1");
    expect(page).toContain('href="/conferences/%3CXSS%3E/2027">2027</a>');
    expect(page).not.toContain("<XSS>");
    expect(page).not.toContain("<i>guess</i>");
  });
});

describe("when an edition has ended", () => {
  it("is once its last day is over in AoE: the cut-off is the UTC date 12 hours before now", () => {
    // Last day 12 Dec: over in AoE at 13 Dec 12:00 UTC.
    expect(endedParams(new Date("2026-12-13T11:59:59Z"))[1]).toBe("2026-12-12"); // 12 Dec < 12 Dec: not yet
    expect(endedParams(new Date("2026-12-13T12:00:00Z"))[1]).toBe("2026-12-13"); // 12 Dec < 13 Dec: ended
    expect(endedParams(new Date("2027-01-01T05:00:00Z"))).toEqual([new Date("2027-01-01T05:00:00Z"), "2026-12-31", 2027]);
  });
});
