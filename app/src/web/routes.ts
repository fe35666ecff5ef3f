import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { validationError } from "../api/errors.js";
import { conferenceListQueries, ingestRunsQuery, TOPICS_QUERY, upcomingDeadlinesQuery } from "../api/queries.js";
import { toConference, type RouteDeps } from "../api/routes/conferences.js";
import { searchTerm, slug } from "../api/schemas.js";
import { renderPage, type ConferenceSummary, type IngestRun, type PageData, type UpcomingDeadline } from "./page.js";

export const PAGE_UPCOMING_DAYS = 90;
const PAGE_MAX_CONFERENCES = 500;

// The API's own schemas, so a bad value gets the same message there and here; "" is the form's
// empty box and "All topics".
const pageQuery = z.object({
  q: searchTerm.optional(),
  topic: z.preprocess((v) => (v === "" ? undefined : v), slug.optional()),
});

export function pageRoutes(app: FastifyInstance, { db, now }: RouteDeps): void {
  app.get("/", async (req, reply) => {
    const parsed = pageQuery.safeParse(req.query ?? {});
    const filters = parsed.success
      ? { ...(parsed.data.q ? { q: parsed.data.q } : {}), ...(parsed.data.topic ? { topic: parsed.data.topic } : {}) }
      : {};
    const at = now();
    const list = conferenceListQueries({ ...filters, limit: PAGE_MAX_CONFERENCES, offset: 0 }, at);
    const upcoming = upcomingDeadlinesQuery(at, PAGE_UPCOMING_DAYS, 50);
    const runs = ingestRunsQuery(10);
    const all = conferenceListQueries({ limit: 1, offset: 0 }, at).count;
    const [u, c, total, everything, t, r] = await Promise.all([
      db.query(upcoming.text, upcoming.values),
      db.query(list.page.text, list.page.values),
      db.query<{ total: number }>(list.count.text, list.count.values),
      db.query<{ total: number }>(all.text, all.values),
      db.query(TOPICS_QUERY),
      db.query(runs.text, runs.values),
    ]);
    const data: PageData = {
      now: at,
      upcomingDays: PAGE_UPCOMING_DAYS,
      upcoming: u.rows as UpcomingDeadline[],
      conferences: c.rows.map(toConference) as unknown as ConferenceSummary[],
      conferencesTotal: total.rows[0]?.total ?? 0,
      conferencesAll: everything.rows[0]?.total ?? 0,
      topics: t.rows as PageData["topics"],
      runs: r.rows as IngestRun[],
      filters,
      ...(parsed.success ? {} : { notice: `Filter ignored: ${validationError(parsed.error, "query").message}` }),
    };
    return reply
      .code(parsed.success ? 200 : 400)
      .header("content-type", "text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(renderPage(data));
  });
}
