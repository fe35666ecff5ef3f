import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { validationError } from "../api/errors.js";
import { editionQuery, pageEditionsQuery, pageSummaryQuery } from "../api/queries.js";
import type { RouteDeps, ZodApp } from "../api/routes/types.js";
import { ACRONYM_MAX, EDITION_YEARS, intParam, text } from "../api/schemas.js";
import type { PageScript } from "./assets.js";
import { type PageCache, pageEncoding, RenderedPage } from "./pageCache.js";
import { deadlineCalendar } from "./calendar.js";
import { editionSlug, kindsFor, NO_FILTERS, pageQuery, type PageFilters } from "./filters.js";
import { allDeadlines, passedDeadlines, toEdition, upcomingDeadlines, type Edition } from "./listing.js";
import { renderEditionPage, renderNotFoundPage, renderPage, type IngestRun, type PageData } from "./page.js";

/** How far ahead (and, with "include past", back) the deadline list reaches. */
export const PAGE_UPCOMING_DAYS = 90;
/** At most this many editions listed (the list says so when it cuts). */
const PAGE_MAX_EDITIONS = 500;
const PAGE_RUNS = 10;

export interface PageRouteDeps extends RouteDeps {
  script: PageScript;
  /** The rendered page, per filter set, for a short while (pageCache.ts). */
  pageCache: PageCache<RenderedPage>;
}

const editionParams = z.object({ acronym: text(ACRONYM_MAX), year: intParam(EDITION_YEARS.min, EDITION_YEARS.max) });

type Row = Record<string, unknown>;

function toRun(row: Row): IngestRun {
  return {
    ...(row as unknown as IngestRun),
    started_at: new Date(String(row.started_at)),
    finished_at: row.finished_at ? new Date(String(row.finished_at)) : null,
  };
}

/** The server's own base URL as the reader reached it (Host is on the allow-list by now: app.ts). */
const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? "127.0.0.1"}`;

function sendHtml(reply: FastifyReply, status: number, body: string | Buffer) {
  return reply.code(status).header("content-type", "text/html; charset=utf-8").header("cache-control", "no-store").send(body);
}

function sendCalendar(reply: FastifyReply, filename: string, body: string) {
  return reply
    .header("content-type", "text/calendar; charset=utf-8")
    .header("content-disposition", `inline; filename="${filename}"`)
    .header("cache-control", "no-cache")
    .send(body);
}

export function pageRoutes(app: ZodApp, { db, now, script, pageCache }: PageRouteDeps): void {
  /** The editions for `filters`, in the page's order; one query. */
  async function loadEditions(filters: PageFilters, at: Date): Promise<Edition[]> {
    const query = pageEditionsQuery(
      { ...filters, kinds: kindsFor(filters.kind), includeEnded: filters.past },
      at,
      PAGE_MAX_EDITIONS,
    );
    const { rows } = await db.query<Row>(query.text, query.values);
    return rows.map(toEdition);
  }

  /** The page for `filters` at `at`; `notice` says which filter was ignored. Two statements. */
  async function renderView(filters: PageFilters, at: Date, notice?: string): Promise<string> {
    const summaryQuery = pageSummaryQuery(filters, at, PAGE_RUNS);
    // Two statements for the whole page, side by side on the pool.
    const [editions, summary] = await Promise.all([
      loadEditions(filters, at),
      db.query<Row>(summaryQuery.text, summaryQuery.values).then((r) => r.rows[0]!),
    ]);
    const kinds = kindsFor(filters.kind);
    const data: PageData = {
      now: at,
      filters,
      editions,
      editionsMatching: Number(summary.matching_count),
      editionsEnded: Number(summary.ended_count),
      editionsAll: Number(summary.all_count),
      upcoming: upcomingDeadlines(editions, kinds, at, PAGE_UPCOMING_DAYS),
      passed: filters.past ? passedDeadlines(editions, kinds, at, PAGE_UPCOMING_DAYS) : [],
      upcomingDays: PAGE_UPCOMING_DAYS,
      topics: summary.topics as PageData["topics"],
      runs: (summary.runs as Row[]).map(toRun),
      scriptPath: script.path,
      ...(notice ? { notice } : {}),
    };
    return renderPage(data);
  }

  app.get("/", async (req, reply) => {
    const parsed = pageQuery.safeParse(req.query ?? {});
    if (!parsed.success) {
      const notice = `Filter ignored: ${validationError(parsed.error.issues, "query").message}`;
      return sendHtml(reply, 400, await renderView(NO_FILTERS, now(), notice));
    }
    // The key is the filters as parsed, so two spellings of one view share an entry.
    const rendered = await pageCache.get(
      JSON.stringify(parsed.data),
      async () => new RenderedPage(await renderView(parsed.data, now())),
    );
    const encoding = pageEncoding(req.headers["accept-encoding"]);
    // Already compressed, so @fastify/compress passes it through (it skips a set Content-Encoding).
    if (encoding !== "identity") reply.header("content-encoding", encoding).header("vary", "accept-encoding");
    return sendHtml(reply, 200, rendered.body(encoding));
  });

  // The view's deadlines as a calendar feed: the editions the page lists for these filters, every
  // deadline of the chosen kinds (passed ones too, so a subscribed calendar keeps them until the
  // edition ends).
  // A bad filter is answered as JSON by the API's error handler (app.ts), like every other bad request.
  app.get("/calendar.ics", { schema: { querystring: pageQuery } }, async (req, reply) => {
    const filters = req.query;
    const at = now();
    const editions = await loadEditions(filters, at);
    const topics = filters.topics.length > 0 ? `: ${filters.topics.join(", ")}` : "";
    const body = deadlineCalendar(allDeadlines(editions, kindsFor(filters.kind)), {
      name: `ConfRadar deadlines${topics}`,
      baseUrl: baseUrl(req),
      now: at,
    });
    return sendCalendar(reply, "confradar.ics", body);
  });

  async function loadEdition(params: unknown, at: Date) {
    const parsed = editionParams.safeParse(params);
    if (!parsed.success) return undefined;
    const query = editionQuery(parsed.data.acronym, parsed.data.year, at);
    const { rows } = await db.query<Row>(query.text, query.values);
    return rows[0] ? { ...toEdition(rows[0]), other_years: rows[0].other_years as number[] } : undefined;
  }

  const notFoundText = (params: unknown) => {
    const p = params as { acronym?: string; year?: string };
    return `The conference ${p.acronym ?? ""} ${p.year ?? ""}`.trimEnd();
  };

  app.get("/conferences/:acronym/:year", async (req, reply) => {
    const at = now();
    const edition = await loadEdition(req.params, at);
    if (!edition) return sendHtml(reply, 404, renderNotFoundPage(notFoundText(req.params), script.path));
    return sendHtml(reply, 200, renderEditionPage({ now: at, edition, scriptPath: script.path }));
  });

  app.get("/conferences/:acronym/:year/calendar.ics", async (req, reply) => {
    const at = now();
    const edition = await loadEdition(req.params, at);
    if (!edition) return reply.notFound(`${notFoundText(req.params)} is not in ConfRadar`);
    const body = deadlineCalendar(allDeadlines([edition], kindsFor("all")), {
      name: `${edition.acronym} ${edition.year} deadlines (ConfRadar)`,
      baseUrl: baseUrl(req),
      now: at,
    });
    return sendCalendar(reply, `${editionSlug(edition)}.ics`, body);
  });

  // Only the current script's URL answers: an old hash is a 404, never stale code under a new name.
  app.get(script.path, async (_req, reply) =>
    reply
      .header("content-type", "text/javascript; charset=utf-8")
      .header("cache-control", "public, max-age=31536000, immutable")
      .send(script.body),
  );
}
