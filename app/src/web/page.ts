import { createHash } from "node:crypto";
import {
  editionPath,
  KIND_FILTER_LABEL,
  KIND_FILTERS,
  KIND_LABEL,
  kindsFor,
  narrowsEditions,
  withFilters,
  type PageFilters,
} from "./filters.js";
import { html, raw, safeHref, type SafeHtml } from "./html.js";
import { nextDeadline, type DeadlineRow, type Edition, type EditionDeadline } from "./listing.js";
import { formatDateRange, formatDuration, formatTimeLeft, formatUtc, formatUtcWallClock, statedTime, urgency } from "./time.js";

export interface IngestRun {
  id: number;
  started_at: Date;
  finished_at: Date | null;
  status: "running" | "succeeded" | "failed";
  trigger: string;
  dataset_name: string | null;
  dataset_version: string | null;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  error: string | null;
}

export interface PageData {
  now: Date;
  filters: PageFilters;
  /** The editions listed: matching the filters, ended ones only with filters.past. */
  editions: Edition[];
  /** Editions matching the filters, ended ones included. */
  editionsMatching: number;
  /** ...of which have ended (hidden unless filters.past). */
  editionsEnded: number;
  /** All editions, whatever the filters. */
  editionsAll: number;
  /** Deadlines of the filtered editions and kinds due in the next `upcomingDays` days. */
  upcoming: DeadlineRow[];
  /** With filters.past: those that passed in the last `upcomingDays` days. */
  passed: DeadlineRow[];
  upcomingDays: number;
  topics: { slug: string; name: string; conference_count: number }[];
  runs: IngestRun[];
  /** The page script's URL (assets.ts): fills in local times and moves the countdowns. */
  scriptPath: string;
  /** Shown above the lists, e.g. a bad filter value. */
  notice?: string;
}

export interface EditionPageData {
  now: Date;
  edition: Edition & { other_years: number[] };
  scriptPath: string;
}

const FORMAT_LABEL: Record<string, string> = { in_person: "in person", online: "online", hybrid: "hybrid" };

const ESTIMATED = raw(`<span class="est" title="Estimated: not announced yet; inferred from earlier editions">estimated</span>`);

const CSS = `
:root { color-scheme: light dark; --muted: #667; --line: #ccd3; --urgent: #c0392b; --soon: #b9770e; --ok: #1e8449; --accent: #2e6bd1; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px; padding: .75rem 1.25rem 3rem; overflow-wrap: anywhere; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1rem; border-bottom: 2px solid var(--line); margin-bottom: .75rem; }
header h1 { margin: .2rem 0; font-size: 1.5rem; } header h1 a { text-decoration: none; }
header p { margin: 0 0 .3rem; color: var(--muted); }
h1.edition { font-size: 1.5rem; margin: .5rem 0 .2rem; }
h2 { font-size: 1.15rem; margin: 1.4rem 0 .5rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .78rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.left { font-weight: 600; white-space: nowrap; font-variant-numeric: tabular-nums; }
.stated { white-space: nowrap; font-weight: 600; } .local { font-size: .85rem; }
.urgent .left { color: var(--urgent); } .soon .left { color: var(--soon); } .passed .left, tr.ended { color: var(--muted); }
.est { display: inline-block; font-size: .72rem; padding: 0 .35rem; border: 1px dashed var(--soon); border-radius: .6rem; color: var(--soon); margin-left: .3rem; vertical-align: 1px; font-weight: normal; white-space: nowrap; }
.tag { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: .6rem; background: #8882; margin: 0 .2rem .15rem 0; }
.links { font-size: .85rem; } .links a { margin-right: .6rem; }
.muted { color: var(--muted); }
.status-succeeded { color: var(--ok); } .status-failed { color: var(--urgent); } .status-running { color: var(--soon); }
.error { font-family: ui-monospace, monospace; font-size: .8rem; white-space: pre-wrap; max-width: 38rem; }
#filters { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem .75rem; margin: 0 0 .5rem; padding: .6rem .75rem; background: #8881; border-radius: .5rem; }
#filters input[type=search] { flex: 1 1 14rem; min-width: 0; }
#filters select { flex: 0 1 auto; min-width: 0; max-width: 100%; }
#filters details { flex: 1 1 100%; } #filters summary { cursor: pointer; }
.topic-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .1rem 1rem; margin-top: .4rem; }
.topic-list label, .check { white-space: nowrap; }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; }
.view { margin: 0 0 .5rem; }
.notice { padding: .5rem .75rem; border-left: 4px solid var(--urgent); background: #c0392b14; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
a { color: inherit; } a.cfp { color: var(--accent); font-weight: 600; }
@media (max-width: 720px) {
  body { padding: .5rem .75rem 2rem; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: .45rem 0; }
  table.stack td { border: 0; padding: .1rem 0; }
  table.stack td[data-label]::before { content: attr(data-label) " "; color: var(--muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .03em; }
  .stated { white-space: normal; }
  .topic-list label { white-space: normal; }
}
`;

/**
 * The Content-Security-Policy directives the pages need, and no more (app.ts sends them on every
 * answer). Their one inline <style> is allowed by its hash; their one script is a file from this
 * server (/assets/page-HASH.js, assets.ts), so script-src is 'self': no inline script, no eval, and
 * connect-src stays 'none' through default-src (the script fetches nothing). Forms submit to the
 * server itself, and no other site may frame a page. A change to CSS changes the hash with it.
 */
export const PAGE_CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  defaultSrc: ["'none'"],
  styleSrc: [`'sha256-${createHash("sha256").update(CSS).digest("base64")}'`],
  scriptSrc: ["'self'"],
  imgSrc: ["'self'"], // the browser's own /favicon.ico request
  formAction: ["'self'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The links a researcher goes to: the call for papers first, then the conference's site. */
function editionLinks(e: Edition): SafeHtml {
  const cfp = safeHref(e.cfp_url);
  const site = safeHref(e.website);
  if (!cfp && !site) return html``;
  return html`<div class="links">${cfp ? html`<a class="cfp" href="${cfp}" rel="noopener noreferrer">Call for papers</a>` : ""}${
    site ? html`<a href="${site}" rel="noopener noreferrer">Conference site</a>` : ""
  }</div>`;
}

/**
 * A deadline's time as the call states it, and below it the same instant in UTC, which the page
 * script replaces with the reader's own time (data-local). Works without the script.
 */
function dueCell(d: EditionDeadline): SafeHtml {
  const stated = statedTime(d.due_at, d.timezone);
  const iso = d.due_at.toISOString();
  return html`<time class="stated" datetime="${iso}"${stated.ambiguity ? html` title="${stated.ambiguity}"` : ""}>${stated.text}</time>
    <div class="local muted" data-local="${iso}">${formatUtcWallClock(d.due_at)}</div>`;
}

/** "in 12 days", kept moving by the page script (data-due) as "12d 04:31:07". */
function timeLeft(d: EditionDeadline, now: Date): SafeHtml {
  return html`<span class="left" data-due="${d.due_at.toISOString()}">${formatTimeLeft(d.due_at, now)}</span>`;
}

function rowClass(d: EditionDeadline, now: Date): string {
  return d.due_at.getTime() < now.getTime() ? "passed" : urgency(d.due_at, now);
}

function kindCell(d: EditionDeadline): SafeHtml {
  return html`${KIND_LABEL[d.kind] ?? d.kind}${d.estimated ? ESTIMATED : ""}${d.note ? html`<div class="muted">${d.note}</div>` : ""}`;
}

function deadlineTable(rows: DeadlineRow[], now: Date): SafeHtml {
  const body = rows.map(
    (d) => html`<tr class="${rowClass(d, now)}">
      <td data-label="Time left">${timeLeft(d, now)}</td>
      <td data-label="Conference"><a href="${editionPath(d.edition)}">${d.edition.acronym} ${d.edition.year}</a> <span class="muted">${d.edition.name}</span>${editionLinks(d.edition)}</td>
      <td data-label="Deadline">${kindCell(d)}</td>
      <td data-label="Due">${dueCell(d)}</td>
    </tr>`,
  );
  return html`<table class="stack">
    <thead><tr><th>Time left</th><th>Conference</th><th>Deadline</th><th>Due (as the call states it · your time)</th></tr></thead>
    <tbody>${body}</tbody></table>`;
}

function filterForm(d: PageData): SafeHtml {
  const f = d.filters;
  const chosen = new Set(f.topics);
  const chosenNames = d.topics.filter((t) => chosen.has(t.slug)).map((t) => t.name);
  const topicBoxes = d.topics.map(
    (t) =>
      html`<label><input type="checkbox" name="topic" value="${t.slug}"${chosen.has(t.slug) ? raw(" checked") : ""}> ${t.name} <span class="muted">(${t.conference_count})</span></label>`,
  );
  const kindOptions = KIND_FILTERS.map(
    (k) =>
      html`<option value="${k}"${f.kind === k ? raw(" selected") : ""}${k === "submission" ? raw(' title="Abstract, full paper and supplementary material"') : ""}>${KIND_FILTER_LABEL[k]}</option>`,
  );
  const filtered = narrowsEditions(f) || f.past || f.kind !== "submission";
  return html`<form id="filters" method="get" action="/">
    <input type="search" name="q" placeholder="Search name or acronym" value="${f.q ?? ""}" aria-label="Search name or acronym">
    <select name="kind" aria-label="Deadline kind">${kindOptions}</select>
    <label class="check"><input type="checkbox" name="past" value="1"${f.past ? raw(" checked") : ""}> include past</label>
    <button type="submit">Filter</button>${filtered ? html` <a href="/">clear</a>` : ""}
    <details><summary>Fields: ${chosenNames.length > 0 ? chosenNames.join(", ") : "all"}</summary>
      <div class="topic-list">${topicBoxes}</div></details>
  </form>`;
}

/** "submission deadline", "deadline", "abstract deadline": what the kind filter keeps, as a noun. */
function kindNoun(f: PageFilters): string {
  if (f.kind === "submission") return "submission deadline";
  if (f.kind === "all") return "deadline";
  return `${KIND_LABEL[f.kind].toLowerCase()} deadline`;
}

/** What the current view shows, and its calendar feed. */
function viewLine(d: PageData): SafeHtml {
  return html`<p class="view muted">${plural(d.upcoming.length, kindNoun(d.filters))} in the next ${d.upcomingDays} days
    · <a href="${withFilters("/calendar.ics", d.filters)}" type="text/calendar">Calendar (.ics) of this view</a>
    · this page's address keeps the filters: bookmark or share it</p>`;
}

function upcomingSection(d: PageData): SafeHtml {
  const emptyText =
    d.editionsAll === 0
      ? html`<p class="muted">No deadlines yet. Run <code>npm run ingest</code> to import the dataset.</p>`
      : html`<p class="muted">No matching deadlines in the next ${d.upcomingDays} days.</p>`;
  const upcoming = d.upcoming.length === 0 ? emptyText : deadlineTable(d.upcoming, d.now);
  const passed = d.filters.past
    ? html`<h3>Passed in the last ${d.upcomingDays} days</h3>${
        d.passed.length === 0 ? html`<p class="muted">None.</p>` : deadlineTable(d.passed, d.now)
      }`
    : "";
  return html`${upcoming}${passed}`;
}

function nextDeadlineCell(e: Edition, d: PageData): SafeHtml {
  const next = nextDeadline(e, kindsFor(d.filters.kind), d.now);
  if (!next) return html`<span class="muted">none upcoming</span>`;
  return html`${KIND_LABEL[next.kind] ?? next.kind}${next.estimated ? ESTIMATED : ""}: ${timeLeft(next, d.now)}<div>${dueCell(next)}</div>`;
}

function conferencesSection(d: PageData): SafeHtml {
  const rows = d.editions.map((e) => {
    const place = [e.city, e.country].filter(Boolean).join(", ");
    return html`<tr${e.ended ? raw(' class="ended"') : ""}>
      <td data-label="Conference"><a href="${editionPath(e)}">${e.acronym} ${e.year}</a>${e.ended ? html` <span class="tag">ended</span>` : ""}<div class="muted">${e.name}</div>${editionLinks(e)}</td>
      <td data-label="Next deadline">${nextDeadlineCell(e, d)}</td>
      <td data-label="When, where">${formatDateRange(e.start_date, e.end_date)}${e.dates_estimated ? ESTIMATED : ""}<div class="muted">${place || "place not announced"} · ${FORMAT_LABEL[e.format] ?? e.format}</div></td>
      <td data-label="Topics">${e.topics.map((t) => html`<span class="tag">${t.name}</span>`)}</td>
    </tr>`;
  });
  let shown = narrowsEditions(d.filters)
    ? `${d.editionsMatching} of ${d.editionsAll} conferences match`
    : `${plural(d.editionsAll, "conference")}`;
  if (!d.filters.past && d.editionsEnded > 0) shown += `; ${d.editionsEnded} that ended not shown (include past to see them)`;
  const listed = d.filters.past ? d.editionsMatching : d.editionsMatching - d.editionsEnded;
  if (d.editions.length < listed) shown += ` (showing the first ${d.editions.length})`;
  return html`<p class="muted">${shown}</p>
    ${
      d.editions.length === 0
        ? html`<p class="muted">No conferences match.</p>`
        : html`<table class="stack">
      <thead><tr><th>Conference</th><th>Next deadline</th><th>When, where</th><th>Topics</th></tr></thead>
      <tbody>${rows}</tbody></table>`
    }`;
}

function runsSection(d: PageData): SafeHtml {
  if (d.runs.length === 0) return html`<p class="muted">No ingest has run yet: <code>npm run ingest</code>.</p>`;
  const rows = d.runs.map(
    (r) => html`<tr>
      <td data-label="Started"><time datetime="${r.started_at.toISOString()}">${formatUtc(r.started_at)}</time></td>
      <td data-label="Trigger">${r.trigger}</td>
      <td data-label="Status" class="status-${r.status}">${r.status}</td>
      <td data-label="Dataset">${r.dataset_name ?? ""} ${r.dataset_version ?? ""}</td>
      <td data-label="Inserted" class="num">${r.rows_inserted}</td><td data-label="Updated" class="num">${r.rows_updated}</td><td data-label="Unchanged" class="num">${r.rows_unchanged}</td>
      <td data-label="Took" class="num">${formatDuration(r.started_at, r.finished_at)}</td>
      <td data-label="Error">${r.error ? html`<div class="error">${r.error}</div>` : ""}</td>
    </tr>`,
  );
  return html`<table class="stack">
    <thead><tr><th>Started</th><th>Trigger</th><th>Status</th><th>Dataset</th><th>Inserted</th><th>Updated</th><th>Unchanged</th><th>Took</th><th>Error</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

const FOOTER = html`<footer>Deadlines show the date and time as the call for papers states them, in its time zone (AoE,
"anywhere on Earth", is UTC−12: the deadline has passed once that date is over everywhere), and below it the same moment in
your own time zone (in UTC if the page's script does not run). Values marked ${ESTIMATED} are not announced yet: they are
inferred from earlier editions, so check the call for papers. Data as JSON: <a href="/api/conferences">/api/conferences</a>,
<a href="/api/deadlines/upcoming">/api/deadlines/upcoming</a>, <a href="/api/ingest-runs">/api/ingest-runs</a>.</footer>`;

function layout(title: string, scriptPath: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${raw(CSS)}</style>
<script src="${scriptPath}" defer></script></head>
<body>
${body}
${FOOTER}
</body></html>`.value;
}

/** The page at /. Every value from the database or the query string goes through `html`, so it is escaped. */
export function renderPage(d: PageData): string {
  const lastRun = d.runs[0];
  return layout(
    "ConfRadar: conference deadlines",
    d.scriptPath,
    html`<header><h1><a href="/">ConfRadar</a></h1>
<p>${plural(d.editionsAll, "conference")} tracked${
      lastRun
        ? html` · last import ${formatUtc(lastRun.started_at)}: <span class="status-${lastRun.status}">${lastRun.status}</span>`
        : ""
    }</p></header>
${filterForm(d)}
${d.notice ? html`<p class="notice">${d.notice}</p>` : ""}
${viewLine(d)}
<main>
<section id="upcoming"><h2>Deadlines in the next ${d.upcomingDays} days</h2>${upcomingSection(d)}</section>
<section id="conferences"><h2>Conferences</h2>${conferencesSection(d)}</section>
<section id="ingest-runs"><h2>Recent imports</h2>${runsSection(d)}</section>
</main>`,
  );
}

/** The page of one edition: all its deadlines (passed ones too), its links and where its data comes from. */
export function renderEditionPage(d: EditionPageData): string {
  const e = d.edition;
  const place = [e.city, e.country].filter(Boolean).join(", ");
  const rows = e.deadlines.map(
    (dl) => html`<tr class="${rowClass(dl, d.now)}">
      <td data-label="Deadline">${kindCell(dl)}</td>
      <td data-label="Due">${dueCell(dl)}</td>
      <td data-label="Time left">${timeLeft(dl, d.now)}</td>
    </tr>`,
  );
  const source = e.dataset_name
    ? html`<p>From the dataset <strong>${e.dataset_name}</strong> ${e.dataset_version ?? ""}${
        safeHref(e.cfp_url)
          ? html`; the values were taken from, and can be checked at, <a class="cfp" href="${safeHref(e.cfp_url)}" rel="noopener noreferrer">${e.cfp_url}</a>`
          : ""
      }.</p>`
    : html`<p class="muted">Entered through the API: no dataset source.</p>`;
  const others = e.other_years.map((y) => html`<a href="${editionPath({ acronym: e.acronym, year: y })}">${y}</a> `);
  return layout(
    `${e.acronym} ${e.year}: deadlines · ConfRadar`,
    d.scriptPath,
    html`<header><h1><a href="/">ConfRadar</a></h1><p><a href="/">all conferences</a></p></header>
<main id="edition">
<h1 class="edition">${e.acronym} ${e.year}${e.ended ? html` <span class="tag">ended</span>` : ""}</h1>
<p class="muted">${e.name}</p>
<p>${formatDateRange(e.start_date, e.end_date)}${e.dates_estimated ? ESTIMATED : ""} · ${place || "place not announced"} · ${FORMAT_LABEL[e.format] ?? e.format}</p>
<p>${e.topics.map((t) => html`<a class="tag" href="/?topic=${t.slug}">${t.name}</a>`)}</p>
${editionLinks(e)}
<p class="links"><a href="${editionPath(e)}/calendar.ics" type="text/calendar">Calendar (.ics) of these deadlines</a></p>
<section id="deadlines"><h2>Deadlines</h2>${
      rows.length === 0
        ? html`<p class="muted">No deadlines known.</p>`
        : html`<table class="stack"><thead><tr><th>Deadline</th><th>Due (as the call states it · your time)</th><th>Time left</th></tr></thead>
<tbody>${rows}</tbody></table>`
    }</section>
<section id="source"><h2>Source</h2>${source}</section>
${others.length > 0 ? html`<section id="other-editions"><h2>Other editions</h2><p>${others}</p></section>` : ""}
</main>`,
  );
}

/** A 404 as a page, for an edition that does not exist. */
export function renderNotFoundPage(what: string, scriptPath: string): string {
  return layout(
    "Not found · ConfRadar",
    scriptPath,
    html`<header><h1><a href="/">ConfRadar</a></h1></header>
<main><p class="notice">${what} is not in ConfRadar.</p><p><a href="/">All conferences</a></p></main>`,
  );
}
