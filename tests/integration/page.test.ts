import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../app/src/api/app.js";
import type { Db } from "../../app/src/db.js";
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

/** `db`, recording the text of every statement it is given. */
function countingStatements(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  const counting: Db = {
    ...db,
    query: ((text: string, values?: unknown[]) => {
      statements.push(text);
      return db.query(text, values);
    }) as Db["query"],
  };
  return { db: counting, statements };
}

async function idOfCached(): Promise<number> {
  const { rows } = await t.db.query<{ id: number }>("SELECT id FROM conferences WHERE acronym = 'CACHED'");
  return rows[0]!.id;
}

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

  it("shows upcoming deadlines as the call states them, with time left, soonest first, estimated ones marked", async () => {
    const upcoming = section((await page()).html, "upcoming");
    const rows = upcoming.split("<tr").slice(2); // header row, then one per deadline
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain("in 10 days");
    expect(rows[0]).toContain("FUTR 2099");
    expect(rows[0]).toContain("Abstract");
    expect(rows[0]).toContain('<time class="stated" datetime="2099-01-11T11:59:59.000Z">Sat 10 Jan 2099 23:59 AoE</time>');
    expect(rows[0]).toContain('data-local="2099-01-11T11:59:59.000Z">Sun 11 Jan 2099 11:59 UTC</div>');
    expect(rows[0]).toContain(
      '<a class="cfp" href="https://futr.example.org/2099/cfp" rel="noopener noreferrer">Call for papers</a>',
    );
    expect(rows[0]).not.toContain('class="est"');
    expect(rows[1]).toContain("in 17 days");
    expect(rows[1]).toContain("Full paper");
    expect(rows[1]).toContain('class="est"');
    expect(rows[1]).toContain("projected from last year");
    // PAST 2001's deadline is long gone; SHRD has none.
    expect(upcoming).not.toContain("PAST");
  });

  it("lists the current editions with dates, place, topics and next deadline; ended ones on request", async () => {
    const list = section((await page()).html, "conferences");
    expect(list).toContain("3 conferences; 1 that ended not shown (include past to see them)");
    expect(list).toContain('<a href="/conferences/FUTR/2099">FUTR 2099</a>');
    expect(list).toContain('<a href="https://futr.example.org/2099" rel="noopener noreferrer">Conference site</a>');
    expect(list).toContain("1–5 Jun 2099");
    expect(list).toContain("Lisbon, Portugal");
    expect(list).toContain('<span class="tag">Machine Learning</span>');
    expect(list).toContain('Abstract: <span class="left" data-due="2099-01-11T11:59:59.000Z">in 10 days</span>');
    expect(list).not.toContain("PAST 2001");
    // FUTR (next deadline in 10 days) before SHRD (none).
    expect(list.indexOf("FUTR 2099")).toBeLessThan(list.indexOf("SHRD 2099"));

    const withPast = section((await page("/?past=1")).html, "conferences");
    const pastRow = withPast.split("<tr").find((r) => r.includes("PAST 2001"))!;
    expect(pastRow).toContain('class="ended"');
    expect(pastRow).toContain("dates not announced");
    expect(pastRow).toContain('class="est"');
    expect(pastRow).not.toContain("Conference site");
    expect(pastRow).toContain("none upcoming");
    expect(withPast.indexOf("SHRD 2099")).toBeLessThan(withPast.indexOf("PAST 2001")); // ended ones last
  });

  it("shows the last ingest runs", async () => {
    const runs = section((await page()).html, "ingest-runs");
    expect(runs).toContain('class="status-succeeded">succeeded');
    expect(runs).toContain("app-test-fixture 1.0.0");
    expect(runs).toMatch(/<td data-label="Inserted" class="num">14<\/td>/);
  });

  it("filters every part of the page by text, topics and kind, and keeps the filters in the form and the links", async () => {
    const byText = await page("/?q=symposium&past=1");
    expect(section(byText.html, "conferences")).toContain("1 of 3 conferences match");
    expect(section(byText.html, "conferences")).not.toContain("FUTR 2099");
    expect(section(byText.html, "upcoming")).not.toContain("FUTR 2099");
    expect(byText.html).toContain('value="symposium"');
    expect(byText.html).toContain('href="/calendar.ics?q=symposium&amp;past=1"');

    const byTopic = await page("/?topic=databases");
    expect(section(byTopic.html, "conferences")).toContain("FUTR 2099");
    expect(section(byTopic.html, "conferences")).not.toContain("SHRD 2099");
    expect(section(byTopic.html, "upcoming")).toContain("FUTR 2099");
    expect(byTopic.html).toContain('<input type="checkbox" name="topic" value="databases" checked>');
    // Several topics: any of them.
    const twoTopics = section((await page("/?topic=security&topic=databases&past=1")).html, "conferences");
    expect(twoTopics).toContain("FUTR 2099");
    expect(twoTopics).toContain("PAST 2001");
    expect(twoTopics).not.toContain("SHRD 2099");
    // The complaint: another field's deadlines no longer show.
    expect(section((await page("/?topic=security")).html, "upcoming")).not.toContain("FUTR 2099");

    const papers = section((await page("/?kind=paper")).html, "upcoming");
    expect(papers).toContain("Full paper");
    expect(papers).not.toContain("Abstract");
    expect((await page("/?kind=notification")).html).toContain("No matching deadlines in the next 90 days.");
  });

  it("shows deadlines passed in the last 90 days with include past, most recent first", async () => {
    const later = await buildApp({ db: t.db, logger: silentLogger, now: () => new Date("2099-01-15T00:00:00Z") });
    try {
      const res = await later.inject({ method: "GET", url: "/?past=1" });
      const upcoming = section(res.body, "upcoming");
      const passed = upcoming.slice(upcoming.indexOf("<h3>Passed in the last 90 days</h3>"));
      expect(passed).toContain("Abstract");
      expect(passed).toContain("3 days ago");
      expect(upcoming.indexOf("Full paper")).toBeLessThan(upcoming.indexOf("<h3>"));
    } finally {
      await later.close();
    }
  });

  it("answers 400 with a notice for a bad filter, still showing the page", async () => {
    const p = await page("/?topic=Not%20a%20slug");
    expect(p.status).toBe(400);
    expect(p.html).toContain(
      '<p class="notice">Filter ignored: topic.0: must be a slug like machine-learning (a-z, 0-9, single dashes)</p>',
    );
    expect(p.html).not.toContain("[a-z0-9]"); // says what is allowed, not the regular expression
    expect(section(p.html, "conferences")).toContain("3 conferences");
    const kind = await page("/?kind=deadline");
    expect(kind.status).toBe(400);
    expect(kind.html).toContain("Filter ignored: kind: must be one of");
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
    expect(html.match(/<script/gi)).toEqual(["<script"]); // the page's own script tag, nothing else
    const edition = await page(`/conferences/${encodeURIComponent("<img src=x>")}/2099`);
    expect(edition.status).toBe(200);
    expect(edition.html).not.toContain("<img src=x>");
    expect(edition.html).toContain("&lt;/td&gt;&lt;script&gt;1&lt;/script&gt;");
  });
});

describe("an edition's page", () => {
  it("shows every deadline, the call for papers, the site and the source, whatever the acronym's case", async () => {
    const p = await page("/conferences/futr/2099");
    expect(p.status).toBe(200);
    expect(p.html).toContain("<title>FUTR 2099: deadlines · ConfRadar</title>");
    const deadlines = section(p.html, "deadlines");
    expect(deadlines.split("<tr").slice(2)).toHaveLength(2);
    expect(deadlines).toContain("Sat 10 Jan 2099 23:59 AoE");
    expect(deadlines).toContain('class="est"');
    expect(p.html).toContain(
      '<a class="cfp" href="https://futr.example.org/2099/cfp" rel="noopener noreferrer">Call for papers</a>',
    );
    expect(section(p.html, "source")).toContain("From the dataset <strong>app-test-fixture</strong> 1.0.0");
    expect(p.html).toContain('href="/conferences/FUTR/2099/calendar.ics"');
  });

  it("is a 404 page for an edition that does not exist or a path that cannot be one", async () => {
    for (const url of ["/conferences/FUTR/2098", "/conferences/NOPE/2099", "/conferences/FUTR/abc"]) {
      const p = await page(url);
      expect(p.status, url).toBe(404);
      expect(p.type).toBe("text/html; charset=utf-8");
      expect(p.html).toContain("is not in ConfRadar");
    }
  });
});

describe("calendar feeds", () => {
  const events = (text: string) => {
    const calendar = new ICAL.Component(ICAL.parse(text));
    return calendar.getAllSubcomponents("vevent").map((v) => new ICAL.Event(v));
  };

  it("hold the view's deadlines of the chosen kinds, passed ones of current editions included", async () => {
    const res = await app.inject({ method: "GET", url: "/calendar.ics?topic=machine-learning" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/calendar; charset=utf-8");
    expect(res.headers["content-disposition"]).toBe('inline; filename="confradar.ics"');
    const list = events(res.body);
    expect(list.map((e) => e.uid)).toEqual(["futr-2099-abstract@confradar", "futr-2099-paper@confradar"]);
    expect(list[0]!.startDate.toJSDate().toISOString()).toBe("2099-01-11T11:59:59.000Z");
    expect(list[1]!.summary).toBe("FUTR 2099: Full paper deadline (estimated)");
    expect(list[1]!.description).toContain("All deadlines: http://localhost/conferences/FUTR/2099");
    // PAST 2001 ended: only with past=1.
    expect(events((await app.inject({ method: "GET", url: "/calendar.ics?topic=security" })).body)).toEqual([]);
    const past = events((await app.inject({ method: "GET", url: "/calendar.ics?topic=security&past=1" })).body);
    expect(past.map((e) => e.uid)).toEqual(["past-2001-paper@confradar"]);
  });

  it("per edition holds all its deadlines; a bad filter is a 400 naming it", async () => {
    const res = await app.inject({ method: "GET", url: "/conferences/FUTR/2099/calendar.ics" });
    expect(res.headers["content-disposition"]).toBe('inline; filename="futr-2099.ics"');
    expect(events(res.body)).toHaveLength(2);
    expect((await app.inject({ method: "GET", url: "/conferences/FUTR/2098/calendar.ics" })).statusCode).toBe(404);
    const bad = await app.inject({ method: "GET", url: "/calendar.ics?kind=deadline" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe("kind");
  });
});

describe("the page's script, security headers, compression and cost", () => {
  it("serves the script under its content hash, cached, allowed by a CSP with no inline script", async () => {
    const p = await app.inject({ method: "GET", url: "/" });
    const src = /<script src="(\/assets\/page-[0-9a-f]{12}\.js)" defer><\/script>/.exec(p.body)?.[1];
    expect(src).toBeDefined();
    const csp = String(p.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("default-src 'none'");
    const script = await app.inject({ method: "GET", url: src! });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(script.body).toContain("data-local");
    expect((await app.inject({ method: "GET", url: "/assets/page-000000000000.js" })).statusCode).toBe(404);
  });

  it("compresses the page for a client that accepts it, and only then", async () => {
    const plain = await app.inject({ method: "GET", url: "/" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    for (const [encoding, decode] of [
      ["gzip", gunzipSync],
      ["br", brotliDecompressSync],
    ] as const) {
      const res = await app.inject({ method: "GET", url: "/", headers: { "accept-encoding": encoding } });
      expect(res.headers["content-encoding"]).toBe(encoding);
      expect(res.headers.vary).toContain("accept-encoding");
      expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
      expect(decode(res.rawPayload).toString("utf8")).toBe(plain.body);
    }
  });

  it("with a page cache, serves a view from it until a write through the API clears it", async () => {
    const { db: counting, statements } = countingStatements(t.db);
    const cached = await buildApp({ db: counting, logger: silentLogger, now: () => NOW, pageCacheMs: 60_000 });
    try {
      const load = async (url = "/") => {
        const res = await cached.inject({ method: "GET", url });
        expect(res.statusCode, url).toBe(200);
        return res.body;
      };
      const first = await load();
      expect(await load()).toBe(first);
      expect(await load("/?kind=submission")).toBe(first); // the same filters, spelled out
      expect(statements).toHaveLength(2);
      await load("/?past=1");
      expect(statements).toHaveLength(4);

      const created = await cached.inject({
        method: "POST",
        url: "/api/conferences",
        payload: { acronym: "CACHED", name: "Cache Conference", year: 2099, topics: [] },
      });
      expect(created.statusCode).toBe(201);
      statements.length = 0;
      expect(await load("/?past=1")).toContain("CACHED 2099");
      expect(statements).toHaveLength(2);

      const refused = await cached.inject({ method: "POST", url: "/api/conferences", payload: { acronym: "" } });
      expect(refused.statusCode).toBe(400);
      statements.length = 0;
      await load("/?past=1");
      expect(statements).toHaveLength(0); // a refused write changes nothing, so it clears nothing
    } finally {
      await cached.inject({ method: "DELETE", url: `/api/conferences/${await idOfCached()}` });
      await cached.close();
    }
  });

  it("builds the page from two statements, and an edition's page from one, however many rows", async () => {
    const { db: counting, statements } = countingStatements(t.db);
    const counted = await buildApp({ db: counting, logger: silentLogger, now: () => NOW });
    try {
      for (const url of ["/", "/?past=1&kind=all", "/?topic=databases&topic=security&q=f"]) {
        statements.length = 0;
        expect((await counted.inject({ method: "GET", url })).statusCode).toBe(200);
        expect(statements, url).toHaveLength(2);
      }
      statements.length = 0;
      await counted.inject({ method: "GET", url: "/conferences/FUTR/2099" });
      expect(statements).toHaveLength(1);
    } finally {
      await counted.close();
    }
  });
});
