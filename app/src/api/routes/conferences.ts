import { httpErrors } from "@fastify/sensible";
import type { Queryable } from "../../db.js";
import { isPgError, PG_UNIQUE_VIOLATION } from "../db-errors.js";
import { fieldError } from "../errors.js";
import {
  conferenceByIdQuery,
  conferenceDeadlinesQuery,
  conferenceListQueries,
  deleteConferenceQuery,
  insertConferenceQuery,
  lockConferenceQuery,
  replaceTopicsQueries,
  topicsBySlugQuery,
  updateConferenceQuery,
} from "../queries.js";
import { conferenceCreate, conferenceListQuery, conferencePatch, idParams } from "../schemas.js";
import type { RouteDeps, ZodApp } from "./types.js";

type Row = Record<string, unknown>;

/** JSON built inside PostgreSQL carries timestamps in the session's zone: normalise to ISO UTC. */
function isoUtc(value: unknown): unknown {
  return typeof value === "string" || value instanceof Date ? new Date(value).toISOString() : value;
}

export function toConference(row: Row): Row {
  const next = row.next_deadline as Row | null;
  return { ...row, next_deadline: next ? { ...next, due_at: isoUtc(next.due_at) } : null };
}

/** The 404 message for a conference id that is not there (the deadline routes' too). */
export const noConference = (id: number) => `conference ${id} not found`;

async function loadConference(client: Queryable, id: number, now: Date): Promise<Row | undefined> {
  const { text, values } = conferenceByIdQuery(id, now);
  const { rows } = await client.query<Row>(text, values);
  if (!rows[0]) return undefined;
  const deadlines = conferenceDeadlinesQuery(id);
  return { ...toConference(rows[0]), deadlines: (await client.query<Row>(deadlines.text, deadlines.values)).rows };
}

/** Replaces the conference's topics with `slugs`; an unknown slug is a 400 naming it. */
async function setTopics(client: Queryable, conferenceId: number, slugs: string[]): Promise<void> {
  const unique = [...new Set(slugs)];
  const known = topicsBySlugQuery(unique);
  const { rows } = await client.query<{ id: number; slug: string }>(known.text, known.values);
  const knownSlugs = new Set(rows.map((r) => r.slug));
  const unknown = unique.filter((s) => !knownSlugs.has(s));
  if (unknown.length > 0) {
    throw fieldError(
      400,
      `topics: unknown topic slug${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => JSON.stringify(s)).join(", ")} (see GET /api/topics)`,
      "topics",
    );
  }
  for (const q of replaceTopicsQueries(
    conferenceId,
    rows.map((r) => r.id),
  )) {
    await client.query(q.text, q.values);
  }
}

function duplicateConference(err: unknown, acronym: unknown, year: unknown): never {
  if (isPgError(err, PG_UNIQUE_VIOLATION)) {
    throw fieldError(
      409,
      `acronym: a conference with acronym ${JSON.stringify(acronym)} and year ${String(year)} already exists`,
      "acronym",
    );
  }
  throw err;
}

export function conferenceRoutes(app: ZodApp, { db, now }: RouteDeps): void {
  app.get("/api/conferences", { schema: { querystring: conferenceListQuery } }, async (req) => {
    const { query } = req;
    const { page, count } = conferenceListQueries(query, now());
    const [items, total] = await Promise.all([
      db.query<Row>(page.text, page.values),
      db.query<{ total: number }>(count.text, count.values),
    ]);
    const totalCount = total.rows[0]?.total ?? 0;
    const nextOffset = query.offset + items.rows.length;
    return {
      items: items.rows.map(toConference),
      total: totalCount,
      limit: query.limit,
      offset: query.offset,
      next_offset: nextOffset < totalCount && items.rows.length > 0 ? nextOffset : null,
    };
  });

  app.get("/api/conferences/:id", { schema: { params: idParams } }, async (req, reply) => {
    const { id } = req.params;
    const conference = await loadConference(db, id, now());
    if (!conference) return reply.notFound(noConference(id));
    return conference;
  });

  app.post("/api/conferences", { schema: { body: conferenceCreate } }, async (req, reply) => {
    const input = req.body;
    const created = await db
      .transaction(async (client) => {
        const insert = insertConferenceQuery(input);
        const { rows } = await client.query<{ id: number }>(insert.text, insert.values);
        const id = rows[0]!.id;
        if (input.topics) await setTopics(client, id, input.topics);
        return loadConference(client, id, now());
      })
      .catch((err: unknown) => duplicateConference(err, input.acronym, input.year));
    void reply.code(201).header("location", `/api/conferences/${String(created!.id)}`);
    return created;
  });

  app.patch("/api/conferences/:id", { schema: { params: idParams, body: conferencePatch } }, async (req) => {
    const { id } = req.params;
    const input = req.body;
    return db.transaction(async (client) => {
      const lock = lockConferenceQuery(id);
      const { rows } = await client.query<{ acronym: string; year: number }>(lock.text, lock.values);
      if (!rows[0]) throw httpErrors.notFound(noConference(id));
      const update = updateConferenceQuery(id, input);
      if (update) {
        await client
          .query(update.text, update.values)
          .catch((err: unknown) => duplicateConference(err, input.acronym ?? rows[0]!.acronym, input.year ?? rows[0]!.year));
      }
      if (input.topics) await setTopics(client, id, input.topics);
      return loadConference(client, id, now());
    });
  });

  app.delete("/api/conferences/:id", { schema: { params: idParams } }, async (req, reply) => {
    const { id } = req.params;
    const { text, values } = deleteConferenceQuery(id);
    const { rowCount } = await db.query(text, values);
    if (!rowCount) return reply.notFound(noConference(id));
    return reply.code(204).send();
  });
}
