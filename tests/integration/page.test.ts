import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../app/src/api/app.js";
import { runIngest } from "../../app/src/worker/ingest.js";
import { FIXTURE_DATASET, openTestDatabase, silentLogger, type TestDatabase } from "./app-harness.js";

const NOW = new Date("2099-01-01T00:00:00Z");
let t: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  t = await openTestDatabase();
  app = await buildApp({ db: t.db, logger: silentLogger, now: () => NOW });
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const page = async (url = "/") => {
  const res = await app.inject({ method: "GET", url });
  return { status: res.statusCode, type: res.headers["content-type"], html: res.body };
};

/** The text of the <section id="..."> element. */
function section(html: string, id: string): string {
  const m = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html);
  if (!m) throw new Error(`no section ${id}`);
  return m[1]!;
}

describe("the page at / before any import", () => {
  it("renders and says how to get data", async () => {
    const p = await page();
    expect(p.status).toBe(200);
    expect(p.type).toBe("text/html; charset=utf-8");
    expect(p.html).toMatch(/^<!doctype html>/);
    expect(section(p.html, "upcoming")).toContain("npm run ingest");
    expect(section(p.html, "ingest-runs")).toContain("No ingest has run yet");
  });
});

describe("the page at / with data", () => {
  beforeAll(async () => {
    expect((await runIngest({ db: t.db, logger: silentLogger, datasetPath: FIXTURE_DATASET, trigger: "manual" })).status).toBe(
      "succeeded",
    );
  });

  it("shows upcoming deadlines with time left, soonest first, estimated ones marked", async () => {
    const upcoming = section((await page()).html, "upcoming");
    const rows = upcoming.split("<tr").slice(2); // header row, then one per deadline
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain("in 10 days");
    expect(rows[0]).toContain("FUTR 2099");
    expect(rows[0]).toContain("Abstract");
    expect(rows[0]).toContain("2099-01-11 11:59 UTC");
    expect(rows[0]).toContain("(AoE)");
    expect(rows[0]).not.toContain('class="est"');
    expect(rows[1]).toContain("in 17 days");
    expect(rows[1]).toContain("Full paper");
    expect(rows[1]).toContain('class="est"');
    expect(rows[1]).toContain("projected from last year");
    // PAST 2001's deadline is long gone; SHRD has none.
    expect(upcoming).not.toContain("PAST");
  });

  it("lists every conference with dates, place, topics and next deadline", async () => {
    const list = section((await page()).html, "conferences");
    expect(list).toContain("3 conferences");
    expect(list).toContain('<a href="https://futr.example.org/2099" rel="noopener noreferrer">FUTR 2099</a>');
    expect(list).toContain("1–5 Jun 2099");
    expect(list).toContain("Lisbon, Portugal");
    expect(list).toContain('<span class="tag">Machine Learning</span>');
    expect(list).toContain("Abstract: in 10 days");
    // PAST 2001: unknown dates, estimated, no website link.
    const pastRow = list.split("<tr").find((r) => r.includes("PAST 2001"))!;
    expect(pastRow).toContain("dates not announced");
    expect(pastRow).toContain('class="est"');
    expect(pastRow).not.toContain("<a ");
    expect(pastRow).toContain("none upcoming");
  });

  it("shows the last ingest runs", async () => {
    const runs = section((await page()).html, "ingest-runs");
    expect(runs).toContain('class="status-succeeded">succeeded');
    expect(runs).toContain("app-test-fixture 1.0.0");
    expect(runs).toMatch(/<td class="num">14<\/td>/);
  });

  it("filters the list by text and topic, and keeps the filter in the form", async () => {
    const byText = await page("/?q=symposium");
    expect(section(byText.html, "conferences")).toContain("1 of 3 conferences match");
    expect(section(byText.html, "conferences")).not.toContain("FUTR 2099");
    expect(byText.html).toContain('value="symposium"');
    const byTopic = section((await page("/?topic=databases")).html, "conferences");
    expect(byTopic).toContain("FUTR 2099");
    expect(byTopic).not.toContain("SHRD 2099");
    expect(byTopic).toContain('<option value="databases" selected>');
  });

  it("answers 400 with a notice for a bad filter, still showing the page", async () => {
    const p = await page("/?topic=Not%20a%20slug");
    expect(p.status).toBe(400);
    expect(p.html).toContain(
      '<p class="notice">Filter ignored: topic: must be a slug like machine-learning (a-z, 0-9, single dashes)</p>',
    );
    expect(p.html).not.toContain("[a-z0-9]"); // says what is allowed, not the regular expression
    expect(section(p.html, "conferences")).toContain("3 conferences");
  });

  it("answers 400 with a notice for a NUL character in the search, not a 500", async () => {
    const p = await page("/?q=a%00b");
    expect(p.status).toBe(400);
    expect(p.html).toContain('<p class="notice">Filter ignored: q: must not contain a NUL character (\\u0000)</p>');
    expect(section(p.html, "conferences")).toContain("3 conferences");
  });

  it("escapes what people typed into the API", async () => {
    const created = await app.inject({
      method: "POST",
      url: "/api/conferences",
      payload: { acronym: "<img src=x>", name: `<script>alert("x")</script> & co`, year: 2099, city: "<b>Bern</b>" },
    });
    expect(created.statusCode).toBe(201);
    await app.inject({
      method: "POST",
      url: `/api/conferences/${created.json().id}/deadlines`,
      payload: {
        kind: "paper",
        due_at: "2099-02-01T00:00:00-08:00",
        timezone: "PST",
        note: "</td><script>1</script>",
        estimated: true,
      },
    });
    const { html } = await page();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x>");
    expect(html).not.toContain("<b>Bern</b>");
    expect(html).not.toContain("</td><script>1</script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co");
    expect(html).toContain("&lt;img src=x&gt; 2099");
    expect(html).toContain("&lt;/td&gt;&lt;script&gt;1&lt;/script&gt;");
    expect(html).not.toMatch(/<script/i);
  });
});
