// The pages in a real browser (Debian's chromium under playwright-core), as a researcher uses them:
// the app runs in this process on a loopback port over the integration tests' database (embedded
// PGlite, or TEST_DATABASE_URL), with the real dataset imported plus one edition whose values the
// assertions know. The server's clock and the browser's are pinned to the same moment, and the
// browser reads times in Europe/Berlin, so "your time" and the countdown have one right answer.
// Screenshots at 390 px and 1280 px go to .artifacts/browser/ (the run prints their paths).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import ICAL from "ical.js";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../app/src/api/app.js";
import { runIngest } from "../../app/src/worker/ingest.js";
import { CHROMIUM_MISSING, chromiumInstalled, launchChromium } from "../helpers/chromium.js";
import { openTestDatabase, silentLogger, type TestDatabase } from "../integration/app-harness.js";
import { repoRoot } from "../../app/src/paths.js";

export const ARTIFACTS_DIR = path.join(repoRoot, ".artifacts", "browser");

/** The moment both clocks show: the dataset's as-of week. */
const NOW = new Date("2026-11-25T12:00:00Z");
const READER_ZONE = "Europe/Berlin";

interface DatasetConference {
  acronym: string;
  year: number;
  end_date: string | null;
  topics: string[];
  deadlines: { kind: string; due_at: string }[];
  [key: string]: unknown;
}
const dataset = JSON.parse(readFileSync(path.join(repoRoot, "data", "conferences.json"), "utf8")) as {
  dataset: { name: string; version: string };
  topics: { slug: string; name: string }[];
  conferences: DatasetConference[];
};

/** The edition the assertions know: its paper deadline is the issue's "Dec 4 23:59 AoE". */
const KNOWN = {
  acronym: "BRWSR",
  name: "Browser Test Symposium on Deadlines",
  year: 2027,
  website: "https://brwsr.example.org/2027",
  city: "Lisbon",
  country: "Portugal",
  format: "hybrid",
  start_date: "2027-03-01",
  end_date: "2027-03-03",
  dates_estimated: true,
  topics: ["natural-language-processing"],
  source: { url: "https://brwsr.example.org/2027/call-for-papers" },
  deadlines: [
    { kind: "abstract", due_at: "2026-11-27T23:59:59-12:00", timezone: "AoE", estimated: true, note: "projected from 2026" },
    { kind: "paper", due_at: "2026-12-04T23:59:59-12:00", timezone: "AoE", estimated: false, note: null },
    { kind: "notification", due_at: "2027-01-20T23:59:59-12:00", timezone: "AoE", estimated: false, note: null },
  ],
};
const KNOWN_LABEL = `${KNOWN.acronym} ${KNOWN.year}`;
/** An edition of the file that ended well before NOW: hidden by default, listed with "include past". */
const ENDED = dataset.conferences.find((c) => c.end_date !== null && c.end_date < "2026-11-01")!;
const ENDED_LABEL = `${ENDED.acronym} ${ENDED.year}`;

const CHOSEN_TOPICS = ["machine-learning", "natural-language-processing"];
const CHOSEN_NAMES = dataset.topics.filter((t) => CHOSEN_TOPICS.includes(t.slug)).map((t) => t.name);
const editions = [...dataset.conferences, KNOWN as unknown as DatasetConference];
const inChosenTopics = new Set(
  editions.filter((c) => c.topics.some((t) => CHOSEN_TOPICS.includes(t))).map((c) => `${c.acronym} ${c.year}`),
);

// Outside CI a machine without chromium skips this file, saying why; in CI it fails (launchChromium throws).
const skip = !chromiumInstalled() && process.env.CI !== "true";
if (skip) console.warn(`[browser] skipped: ${CHROMIUM_MISSING}`);

let t: TestDatabase;
let app: FastifyInstance;
let origin: string;
let browser: Browser;
const screenshots: string[] = [];
const tmpDataset = path.join(tmpdir(), `confradar-browser-dataset-${process.pid}.json`);

/** A browser context as a reader in Berlin has it, clock at NOW, allowed to reach only the app. */
async function readerContext(opts: {
  width: number;
  javaScript?: boolean;
}): Promise<{ context: BrowserContext; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width, height: opts.width < 500 ? 844 : 900 },
    timezoneId: READER_ZONE,
    locale: "en-GB",
    javaScriptEnabled: opts.javaScript ?? true,
  });
  const problems: string[] = [];
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`request to another origin: ${url}`);
    return route.abort("blockedbyclient");
  });
  await context.clock.install({ time: NOW });
  context.on("page", (page) => {
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
  });
  return { context, problems };
}

async function open(context: BrowserContext, pathAndQuery: string): Promise<Page> {
  const page = await context.newPage();
  const response = await page.goto(new URL(pathAndQuery, origin).href);
  expect(response?.status(), `GET ${pathAndQuery}`).toBe(200);
  return page;
}

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage });
  screenshots.push(file);
}

/** "NeurIPS 2026" for each row of a section's tables: the text of the row's edition link. */
async function rowLabels(page: Page, section: "upcoming" | "conferences"): Promise<string[]> {
  return page.locator(`#${section} tbody tr td[data-label="Conference"] > a:first-child`).allInnerTexts();
}

const knownRow = (page: Page, kind: string) =>
  page.locator("#upcoming tbody tr", { hasText: KNOWN_LABEL }).filter({ hasText: kind });

/** The page is no wider than the window: nothing to scroll sideways. */
async function horizontalOverflow(page: Page): Promise<number> {
  // A string: the expression runs in the page, where the DOM's globals are (tsconfig has no DOM lib).
  return page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
}

function parseCalendar(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  return calendar.getAllSubcomponents("vevent").map((v) => {
    const event = new ICAL.Event(v);
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      status: String(v.getFirstPropertyValue("status")),
      url: String(v.getFirstPropertyValue("url")),
      description: event.description,
    };
  });
}

describe.skipIf(skip)("the page in chromium", () => {
  beforeAll(async () => {
    browser = await launchChromium(); // first: without chromium, fail before any set-up
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    writeFileSync(tmpDataset, JSON.stringify({ ...dataset, conferences: editions }));
    t = await openTestDatabase();
    const ingest = await runIngest({ db: t.db, logger: silentLogger, datasetPath: tmpDataset, trigger: "manual" });
    expect(ingest.status).toBe("succeeded");
    app = await buildApp({ db: t.db, logger: silentLogger, now: () => NOW });
    origin = (await app.listen({ host: "127.0.0.1", port: 0 })).replace(/\/$/, "");
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
    rmSync(tmpDataset, { force: true });
    if (screenshots.length > 0) console.log(`[browser] screenshots:\n  ${screenshots.join("\n  ")}`);
  });

  it("shows a deadline as the call states it, the reader's own time beside it, and a countdown that moves", async () => {
    const { context, problems } = await readerContext({ width: 1280 });
    const page = await open(context, "/");
    const paper = knownRow(page, "Full paper");
    await expect.poll(() => paper.locator(".local").innerText()).toBe("Sat 5 Dec 2026 12:59 your time (Europe/Berlin)");
    expect(await paper.locator("time.stated").innerText()).toBe("Fri 4 Dec 2026 23:59 AoE");

    // The countdown: stop the clock, read it, let 5 s pass, read it again.
    await context.clock.pauseAt(new Date(NOW.getTime() + 15_000));
    const before = await paper.locator(".left").innerText();
    await context.clock.runFor(5_000);
    const after = await paper.locator(".left").innerText();
    const seconds = (text: string) => {
      const m = /^(\d+)d (\d\d):(\d\d):(\d\d)$/.exec(text);
      if (!m) throw new Error(`countdown ${JSON.stringify(text)} is not "Nd HH:MM:SS"`);
      return ((Number(m[1]) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4]);
    };
    // Due 2026-12-05T11:59:59Z; 15 s after NOW that is 9 days 23:59:44 away.
    expect(seconds(before)).toBeGreaterThanOrEqual(seconds("9d 23:59:44"));
    expect(seconds(before)).toBeLessThanOrEqual(seconds("9d 23:59:45"));
    expect(seconds(before) - seconds(after)).toBe(5);

    // Estimated values are marked where they show: the deadline's row and the edition's dates.
    await expect.poll(() => knownRow(page, "Abstract").locator(".est").isVisible()).toBe(true);
    const conference = page.locator("#conferences tbody tr", { hasText: KNOWN_LABEL });
    expect(await conference.locator('td[data-label="When, where"] .est').innerText()).toBe("estimated");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("is complete without its script: the UTC time and 'in N days' are in the HTML", async () => {
    const { context, problems } = await readerContext({ width: 1280, javaScript: false });
    const page = await open(context, "/");
    const paper = knownRow(page, "Full paper");
    expect(await paper.locator("time.stated").innerText()).toBe("Fri 4 Dec 2026 23:59 AoE");
    expect(await paper.locator(".local").innerText()).toBe("Sat 5 Dec 2026 11:59 UTC");
    expect(await paper.locator(".left").innerText()).toBe("in 9 days");
    expect(await rowLabels(page, "conferences")).toContain(KNOWN_LABEL);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("filters every part of the page from the form at the top, and the URL keeps the filter", async () => {
    const { context, problems } = await readerContext({ width: 1280 });
    const page = await open(context, "/");
    // The form comes before the lists.
    const formTop = (await page.locator("#filters").boundingBox())!.y;
    expect(formTop).toBeLessThan((await page.locator("#upcoming").boundingBox())!.y);
    expect(formTop).toBeLessThan(200);

    // Default: submission deadlines only, no edition that has ended.
    expect(await knownRow(page, "Notification").count()).toBe(0);
    expect(await rowLabels(page, "conferences")).not.toContain(ENDED_LABEL);
    expect(await page.locator("#conferences tr.ended").count()).toBe(0);
    await shoot(page, "home-1280.png", false); // the first screen: the whole list is in filtered-1280.png

    // Two fields at once, from the form.
    await page.locator("#filters summary").click();
    for (const name of CHOSEN_NAMES) await page.getByLabel(name, { exact: false }).check();
    await Promise.all([
      page.waitForURL((url) => url.searchParams.getAll("topic").length === 2),
      page.getByRole("button", { name: "Filter" }).click(),
    ]);
    expect(new URL(page.url()).searchParams.getAll("topic").sort()).toEqual(CHOSEN_TOPICS);
    const upcoming = await rowLabels(page, "upcoming");
    const listed = await rowLabels(page, "conferences");
    expect(upcoming.length).toBeGreaterThan(0);
    expect(upcoming.filter((label) => !inChosenTopics.has(label))).toEqual([]);
    expect(listed.filter((label) => !inChosenTopics.has(label))).toEqual([]);
    expect(listed).toContain(KNOWN_LABEL);
    expect(await page.locator("#filters summary").innerText()).toBe(`Fields: ${CHOSEN_NAMES.join(", ")}`);
    await shoot(page, "filtered-1280.png");

    // The same URL in a fresh page is the same view (bookmark, share).
    const again = await open(context, new URL(page.url()).pathname + new URL(page.url()).search);
    expect(await rowLabels(again, "upcoming")).toEqual(upcoming);
    for (const slug of CHOSEN_TOPICS) expect(await again.locator(`input[name="topic"][value="${slug}"]`).isChecked()).toBe(true);

    // Deadline kind: "all" brings the notification in, in both the list and the URL.
    await again.locator('select[name="kind"]').selectOption("all");
    await Promise.all([again.waitForURL(/kind=all/), again.getByRole("button", { name: "Filter" }).click()]);
    expect(await knownRow(again, "Notification").count()).toBe(1);

    // Text: the deadline list follows it too.
    await again.locator('#filters input[name="q"]').fill("brwsr");
    await Promise.all([again.waitForURL(/q=brwsr/), again.getByRole("button", { name: "Filter" }).click()]);
    expect(new Set(await rowLabels(again, "upcoming"))).toEqual(new Set([KNOWN_LABEL]));
    expect(await rowLabels(again, "conferences")).toEqual([KNOWN_LABEL]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("includes past editions and passed deadlines on request, after the current ones", async () => {
    const { context, problems } = await readerContext({ width: 1280 });
    const page = await open(context, "/");
    await page.getByLabel("include past").check();
    await Promise.all([page.waitForURL(/past=1/), page.getByRole("button", { name: "Filter" }).click()]);
    const listed = await rowLabels(page, "conferences");
    expect(listed).toContain(ENDED_LABEL);
    const endedFlags = await page
      .locator("#conferences tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.classList.contains("ended")));
    expect(endedFlags.indexOf(true)).toBeGreaterThan(0);
    expect(endedFlags.slice(endedFlags.indexOf(true)).every(Boolean)).toBe(true); // none current after an ended one
    expect(await page.locator("#upcoming h3", { hasText: "Passed in the last 90 days" }).count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("exports the view and an edition as .ics files a calendar parser reads back", async () => {
    const { context, problems } = await readerContext({ width: 1280 });
    const page = await open(context, `/?${CHOSEN_TOPICS.map((s) => `topic=${s}`).join("&")}`);
    const href = await page.getByRole("link", { name: "Calendar (.ics) of this view" }).getAttribute("href");
    expect(href).toBe(`/calendar.ics?${CHOSEN_TOPICS.map((s) => `topic=${s}`).join("&")}`);
    const feed = await context.request.get(new URL(href!, origin).href);
    expect(feed.status()).toBe(200);
    expect(feed.headers()["content-type"]).toBe("text/calendar; charset=utf-8");
    const events = parseCalendar(await feed.text());
    // Submission deadlines of the chosen fields' editions only; the upcoming ones of the page among them.
    const uids = new Set(events.map((e) => e.uid));
    expect(uids.size).toBe(events.length);
    for (const e of events) expect(e.summary).toMatch(/: (Abstract|Full paper|Supplementary) deadline/);
    const paper = events.find((e) => e.uid === "brwsr-2027-paper@confradar")!;
    expect(paper).toMatchObject({
      start: "2026-12-05T11:59:59.000Z",
      summary: "BRWSR 2027: Full paper deadline",
      status: "CONFIRMED",
    });
    expect(paper.url).toBe(KNOWN.source.url);
    expect(paper.description).toContain("Fri 4 Dec 2026 23:59 AoE");
    const abstract = events.find((e) => e.uid === "brwsr-2027-abstract@confradar")!;
    expect(abstract).toMatchObject({ summary: "BRWSR 2027: Abstract deadline (estimated)", status: "TENTATIVE" });
    expect(events.find((e) => e.uid === "brwsr-2027-notification@confradar")).toBeUndefined();
    expect(await page.locator("#upcoming tbody tr", { hasText: KNOWN_LABEL }).count()).toBe(2); // abstract, paper

    // The edition's page: every deadline, its links, its source, and its own calendar.
    await page.locator(`#conferences a`, { hasText: KNOWN_LABEL }).click();
    await page.waitForURL(/\/conferences\/BRWSR\/2027$/);
    expect(await page.locator("#deadlines tbody tr").count()).toBe(3);
    expect(await page.getByRole("link", { name: "Call for papers" }).first().getAttribute("href")).toBe(KNOWN.source.url);
    expect(await page.getByRole("link", { name: "Conference site" }).getAttribute("href")).toBe(KNOWN.website);
    expect(await page.locator("#source").innerText()).toContain(dataset.dataset.name);
    expect(await page.locator("#deadlines .est").count()).toBe(1);
    await shoot(page, "edition-1280.png");
    const own = await page.getByRole("link", { name: "Calendar (.ics) of these deadlines" }).getAttribute("href");
    const editionEvents = parseCalendar(await (await context.request.get(new URL(own!, origin).href)).text());
    expect(editionEvents.map((e) => e.uid)).toEqual([
      "brwsr-2027-abstract@confradar",
      "brwsr-2027-paper@confradar",
      "brwsr-2027-notification@confradar",
    ]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("fits a 390 px phone: no sideways scrolling, the due time in view", async () => {
    const { context, problems } = await readerContext({ width: 390 });
    const page = await open(context, "/");
    expect(await horizontalOverflow(page)).toBe(0);
    const due = knownRow(page, "Full paper").locator('td[data-label="Due"]');
    const box = (await due.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await expect.poll(() => due.locator(".local").innerText()).toContain("your time");
    await shoot(page, "home-390.png", false);

    await page.locator("#filters summary").click();
    expect(await horizontalOverflow(page)).toBe(0);
    await shoot(page, "filters-open-390.png", false);

    const filtered = await open(context, "/?topic=natural-language-processing&past=1");
    expect(await horizontalOverflow(filtered)).toBe(0);
    await shoot(filtered, "filtered-390.png");

    const edition = await open(context, "/conferences/BRWSR/2027");
    expect(await horizontalOverflow(edition)).toBe(0);
    await shoot(edition, "edition-390.png");
    expect(problems).toEqual([]);
    await context.close();
  });
});
