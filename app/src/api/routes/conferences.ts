import type { FastifyInstance } from "fastify";
import type pg from "pg";
import type { Db, Queryable } from "../../db.js";
import { isPgError, PG_UNIQUE_VIOLATION } from "../db-errors.js";
import { HttpError, notFound, parseInput } from "../errors.js";
import {
  buildInsert,
  buildUpdate,
  CONFERENCE_FIELD_COLUMNS,
  conferenceByIdQuery,
  conferenceListQueries,
  DEADLINE_COLUMNS,
} from "../queries.js";
import { conferenceCreate, conferenceListQuery, conferencePatch, idParams } from "../schemas.js";

export interface RouteDeps {
  db: Db;
  now: () => Date;
}

type Row = Record<string, unknown>;

/** JSON built inside PostgreSQL carries timestamps in the session's zone: normalise to ISO UTC. */
function isoUtc(value: unknown): unknown {
  return typeof value === "string" || value instanceof Date ? new Date(value).toISOString() : value;
}

export function toConference(row: Row): Row {
  const next = row.next_deadline as Row | null;
  return { ...row, next_deadline: next ? { ...next, due_at: isoUtc(next.due_at) } : null };
}

async function loadConference(client: Queryable, id: number, now: Date): Promise<Row | undefined> {
  const { text, values } = conferenceByIdQuery(id, now);
  const { rows } = await client.query<Row>(text, values);
  if (!rows[0]) return undefined;
  const deadlines = await client.query<Row>(
    `SELECT ${DEADLINE_COLUMNS} FROM deadlines d WHERE d.conference_id = $1 ORDER BY d.due_at, d.id`,
    [id],
  );
  return { ...toConference(rows[0]), deadlines: deadlines.rows };
}

/** Replaces the conference's topics with `slugs`; an unknown slug is a 400 naming it. */
async function setTopics(client: pg.ClientBase, conferenceId: number, slugs: string[]): Promise<void> {
  const unique = [...new Set(slugs)];
  const { rows } = await client.query<{ id: number; slug: string }>("SELECT id, slug FROM topics WHERE slug = ANY($1::text[])", [
    unique,
  ]);
  const known = new Set(rows.map((r) => r.slug));
  const unknown = unique.filter((s) => !known.has(s));
  if (unknown.length > 0) {
    throw new HttpError(
      400,
      `topics: unknown topic slug${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => JSON.stringify(s)).join(", ")} (see GET /api/topics)`,
      "topics",
    );
  }
  await client.query("DELETE FROM conference_topics WHERE conference_id = $1", [conferenceId]);
  if (rows.length > 0) {
    await client.query(`INSERT INTO conference_topics (conference_id, topic_id) SELECT $1, unnest($2::bigint[])`, [
      conferenceId,
      rows.map((r) => r.id),
    ]);
  }
}

function duplicateConference(err: unknown, acronym: unknown, year: unknown): never {
  if (isPgError(err, PG_UNIQUE_VIOLATION)) {
    throw new HttpError(
      409,
      `acronym: a conference with acronym ${JSON.stringify(acronym)} and year ${String(year)} already exists`,
      "acronym",
    );
  }
  throw err;
}

export function conferenceRoutes(app: FastifyInstance, { db, now }: RouteDeps): void {
  app.get("/api/conferences", async (req) => {
    const query = parseInput(conferenceListQuery, req.query, "query");
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

  app.get("/api/conferences/:id", async (req) => {
    const { id } = parseInput(idParams, req.params, "path");
    const conference = await loadConference(db, id, now());
    if (!conference) throw notFound(`conference ${id}`);
    return conference;
  });

  app.post("/api/conferences", async (req, reply) => {
    const input = parseInput(conferenceCreate, req.body, "body");
    const created = await db
      .transaction(async (client) => {
        const insert = buildInsert("conferences", CONFERENCE_FIELD_COLUMNS, input);
        const { rows } = await client.query<{ id: number }>(insert.text, insert.values);
        const id = rows[0]!.id;
        if (input.topics) await setTopics(client, id, input.topics);
        return loadConference(client, id, now());
      })
      .catch((err: unknown) => duplicateConference(err, input.acronym, input.year));
    void reply.code(201).header("location", `/api/conferences/${String(created!.id)}`);
    return created;
  });

  app.patch("/api/conferences/:id", async (req) => {
    const { id } = parseInput(idParams, req.params, "path");
    const input = parseInput(conferencePatch, req.body, "body");
    return db.transaction(async (client) => {
      const { rows } = await client.query<{ acronym: string; year: number }>(
        "SELECT acronym, edition_year AS year FROM conferences WHERE id = $1 FOR UPDATE",
        [id],
      );
      if (!rows[0]) throw notFound(`conference ${id}`);
      const update = buildUpdate("conferences", CONFERENCE_FIELD_COLUMNS, input, { sql: "id = $1", values: [id] });
      if (update) {
        await client
          .query(update.text, update.values)
          .catch((err: unknown) => duplicateConference(err, input.acronym ?? rows[0]!.acronym, input.year ?? rows[0]!.year));
      }
      if (input.topics) await setTopics(client, id, input.topics);
      return loadConference(client, id, now());
    });
  });

  app.delete("/api/conferences/:id", async (req, reply) => {
    const { id } = parseInput(idParams, req.params, "path");
    const { rowCount } = await db.query("DELETE FROM conferences WHERE id = $1", [id]);
    if (!rowCount) throw notFound(`conference ${id}`);
    return reply.code(204).send();
  });
}
