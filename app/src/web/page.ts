import { createHash } from "node:crypto";
import { html, raw, safeHref, type SafeHtml } from "./html.js";
import { formatDateRange, formatDuration, formatTimeLeft, formatUtc, urgency } from "./time.js";

export interface UpcomingDeadline {
  id: number;
  kind: string;
  due_at: Date;
  timezone: string;
  estimated: boolean;
  note: string | null;
  conference_id: number;
  acronym: string;
  name: string;
  year: number;
  website: string | null;
}

export interface ConferenceSummary {
  id: number;
  acronym: string;
  name: string;
  year: number;
  website: string | null;
  city: string | null;
  country: string | null;
  format: string;
  start_date: string | null;
  end_date: string | null;
  dates_estimated: boolean;
  topics: { slug: string; name: string }[];
  next_deadline: { kind: string; due_at: string; timezone: string; estimated: boolean } | null;
}

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
  upcomingDays: number;
  upcoming: UpcomingDeadline[];
  conferences: ConferenceSummary[];
  /** Conferences matching the filters. */
  conferencesTotal: number;
  /** All conferences, whatever the filters. */
  conferencesAll: number;
  topics: { slug: string; name: string; conference_count: number }[];
  runs: IngestRun[];
  filters: { q?: string; topic?: string };
  /** Shown above the list, e.g. a bad filter value. */
  notice?: string;
}

const KIND_LABEL: Record<string, string> = {
  abstract: "Abstract",
  paper: "Full paper",
  supplementary: "Supplementary",
  rebuttal: "Rebuttal",
  notification: "Notification",
  camera_ready: "Camera-ready",
};
const FORMAT_LABEL: Record<string, string> = { in_person: "in person", online: "online", hybrid: "hybrid" };

const ESTIMATED = raw(`<span class="est" title="Estimated: not announced yet; inferred from earlier editions">estimated</span>`);

const CSS = `
:root { color-scheme: light dark; --muted: #667; --line: #ccd3; --urgent: #c0392b; --soon: #d68910; --ok: #1e8449; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.25rem 3rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1rem; border-bottom: 2px solid var(--line); margin-bottom: 1rem; }
header h1 { margin: .2rem 0; font-size: 1.6rem; }
header p { margin: 0; color: var(--muted); }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.left, time { font-weight: 600; white-space: nowrap; }
time { font-weight: normal; }
.urgent .left { color: var(--urgent); } .soon .left { color: var(--soon); }
.est { display: inline-block; font-size: .72rem; padding: 0 .35rem; border: 1px dashed var(--soon); border-radius: .6rem; color: var(--soon); margin-left: .3rem; vertical-align: 1px; }
.tag { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: .6rem; background: #8882; margin: 0 .2rem .15rem 0; }
.muted { color: var(--muted); }
.status-succeeded { color: var(--ok); } .status-failed { color: var(--urgent); } .status-running { color: var(--soon); }
.error { font-family: ui-monospace, monospace; font-size: .8rem; white-space: pre-wrap; max-width: 38rem; }
form { display: flex; flex-wrap: wrap; gap: .5rem; margin: .25rem 0 .75rem; }
input, select, button { font: inherit; padding: .25rem .5rem; }
.notice { padding: .5rem .75rem; border-left: 4px solid var(--urgent); background: #c0392b14; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
a { color: inherit; }
`;

/**
 * The Content-Security-Policy directives the page needs, and no more (app.ts sends them on every
 * answer). It has no script and loads nothing: its one inline <style> is allowed by its hash, its
 * form submits to itself, and no other site may frame it. A change to CSS changes the hash with it.
 */
export const PAGE_CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  defaultSrc: ["'none'"],
  styleSrc: [`'sha256-${createHash("sha256").update(CSS).digest("base64")}'`],
  imgSrc: ["'self'"], // the browser's own /favicon.ico request
  formAction: ["'self'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
};

function conferenceLink(c: { acronym: string; year: number; website: string | null }): SafeHtml {
  const href = safeHref(c.website);
  const label = `${c.acronym} ${c.year}`;
  return href ? html`<a href="${href}" rel="noopener noreferrer">${label}</a>` : html`${label}`;
}

function upcomingSection(d: PageData): SafeHtml {
  if (d.upcoming.length === 0) {
    return html`<p class="muted">No deadlines in the next ${d.upcomingDays} days. Run <code>npm run ingest</code> to import the dataset.</p>`;
  }
  const rows = d.upcoming.map(
    (u) => html`<tr class="${urgency(u.due_at, d.now)}">
      <td class="left">${formatTimeLeft(u.due_at, d.now)}</td>
      <td>${conferenceLink(u)} <span class="muted">${u.name}</span></td>
      <td>${KIND_LABEL[u.kind] ?? u.kind}${u.estimated ? ESTIMATED : ""}${u.note ? html`<div class="muted">${u.note}</div>` : ""}</td>
      <td><time datetime="${u.due_at.toISOString()}">${formatUtc(u.due_at)}</time> <span class="muted">(${u.timezone})</span></td>
    </tr>`,
  );
  return html`<table>
    <thead><tr><th>Time left</th><th>Conference</th><th>Deadline</th><th>Due</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

function filterForm(d: PageData): SafeHtml {
  const options = d.topics.map(
    (t) =>
      html`<option value="${t.slug}"${d.filters.topic === t.slug ? raw(" selected") : ""}>${t.name} (${t.conference_count})</option>`,
  );
  return html`<form method="get" action="/">
    <input type="search" name="q" placeholder="Search name or acronym" value="${d.filters.q ?? ""}" aria-label="Search">
    <select name="topic" aria-label="Topic"><option value="">All topics</option>${options}</select>
    <button type="submit">Filter</button>${d.filters.q || d.filters.topic ? html` <a href="/">clear</a>` : ""}
  </form>`;
}

function conferencesSection(d: PageData): SafeHtml {
  const rows = d.conferences.map((c) => {
    const place = [c.city, c.country].filter(Boolean).join(", ");
    const next = c.next_deadline;
    return html`<tr>
      <td>${conferenceLink(c)}<div class="muted">${c.name}</div></td>
      <td>${formatDateRange(c.start_date, c.end_date)}${c.dates_estimated ? ESTIMATED : ""}</td>
      <td>${place || html`<span class="muted">—</span>`}<div class="muted">${FORMAT_LABEL[c.format] ?? c.format}</div></td>
      <td>${c.topics.map((t) => html`<span class="tag">${t.name}</span>`)}</td>
      <td>${
        next
          ? html`${KIND_LABEL[next.kind] ?? next.kind}: ${formatTimeLeft(new Date(next.due_at), d.now)}${next.estimated ? ESTIMATED : ""}`
          : html`<span class="muted">none upcoming</span>`
      }</td>
    </tr>`;
  });
  const filtered = Boolean(d.filters.q || d.filters.topic);
  let shown = filtered
    ? `${d.conferencesTotal} of ${d.conferencesAll} conferences match`
    : `${d.conferencesAll} conference${d.conferencesAll === 1 ? "" : "s"}`;
  if (d.conferences.length < d.conferencesTotal) shown += ` (showing the first ${d.conferences.length})`;
  return html`${filterForm(d)}
    <p class="muted">${shown}</p>
    ${
      d.conferences.length === 0
        ? html`<p class="muted">No conferences match.</p>`
        : html`<table>
      <thead><tr><th>Conference</th><th>Dates</th><th>Where</th><th>Topics</th><th>Next deadline</th></tr></thead>
      <tbody>${rows}</tbody></table>`
    }`;
}

function runsSection(d: PageData): SafeHtml {
  if (d.runs.length === 0) return html`<p class="muted">No ingest has run yet: <code>npm run ingest</code>.</p>`;
  const rows = d.runs.map(
    (r) => html`<tr>
      <td><time datetime="${r.started_at.toISOString()}">${formatUtc(r.started_at)}</time></td>
      <td>${r.trigger}</td>
      <td class="status-${r.status}">${r.status}</td>
      <td>${r.dataset_name ?? ""} ${r.dataset_version ?? ""}</td>
      <td class="num">${r.rows_inserted}</td><td class="num">${r.rows_updated}</td><td class="num">${r.rows_unchanged}</td>
      <td class="num">${formatDuration(r.started_at, r.finished_at)}</td>
      <td>${r.error ? html`<div class="error">${r.error}</div>` : ""}</td>
    </tr>`,
  );
  return html`<table>
    <thead><tr><th>Started</th><th>Trigger</th><th>Status</th><th>Dataset</th><th>Inserted</th><th>Updated</th><th>Unchanged</th><th>Took</th><th>Error</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

/** The whole page at /. Every value from the database goes through `html`, so it is escaped. */
export function renderPage(d: PageData): string {
  const lastRun = d.runs[0];
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ConfRadar: conference deadlines</title>
<style>${raw(CSS)}</style></head>
<body>
<header><h1>ConfRadar</h1>
<p>${d.conferencesAll} conference${d.conferencesAll === 1 ? "" : "s"} tracked · ${d.upcoming.length} deadline${d.upcoming.length === 1 ? "" : "s"} in the next ${d.upcomingDays} days${
    lastRun
      ? html` · last import ${formatUtc(lastRun.started_at)}: <span class="status-${lastRun.status}">${lastRun.status}</span>`
      : ""
  }</p></header>
${d.notice ? html`<p class="notice">${d.notice}</p>` : ""}
<main>
<section id="upcoming"><h2>Upcoming deadlines</h2>${upcomingSection(d)}</section>
<section id="conferences"><h2>Conferences</h2>${conferencesSection(d)}</section>
<section id="ingest-runs"><h2>Recent imports</h2>${runsSection(d)}</section>
</main>
<footer>Times are shown in UTC; the label in brackets is the time zone the call for papers used (AoE = UTC−12).
Dates marked ${ESTIMATED} are not announced yet. Data as JSON: <a href="/api/conferences">/api/conferences</a>,
<a href="/api/deadlines/upcoming">/api/deadlines/upcoming</a>, <a href="/api/ingest-runs">/api/ingest-runs</a>.</footer>
</body></html>`;
  return page.value;
}
