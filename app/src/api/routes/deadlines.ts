import type { FastifyInstance } from "fastify";
import type pg from "pg";
import type { Queryable } from "../../db.js";
import { isPgError, PG_UNIQUE_VIOLATION } from "../db-errors.js";
import { HttpError, notFound, parseInput } from "../errors.js";
import { buildInsert, buildUpdate, DEADLINE_COLUMNS, DEADLINE_FIELD_COLUMNS, upcomingDeadlinesQuery } from "../queries.js";
import { deadlineCreate, deadlineParams, deadlinePatch, idParams, upcomingQuery } from "../schemas.js";
import { parseTimezoneLabel, timezoneMismatch } from "../timezones.js";
import type { RouteDeps } from "./conferences.js";

type Row = Record<string, unknown>;

async function assertConference(client: Queryable, id: number): Promise<void> {
  const { rowCount } = await client.query("SELECT 1 FROM conferences WHERE id = $1", [id]);
  if (!rowCount) throw notFound(`conference ${id}`);
}

async function loadDeadline(client: pg.ClientBase, conferenceId: number, deadlineId: number): Promise<Row> {
  const { rows } = await client.query<Row>(
    `SELECT ${DEADLINE_COLUMNS} FROM deadlines d WHERE d.id = $1 AND d.conference_id = $2`,
    [deadlineId, conferenceId],
  );
  if (!rows[0]) throw notFound(`deadline ${deadlineId} of conference ${conferenceId}`);
  return rows[0];
}

function duplicateKind(err: unknown, conferenceId: number, kind: unknown): never {
  if (isPgError(err, PG_UNIQUE_VIOLATION)) {
    throw new HttpError(409, `kind: conference ${conferenceId} already has a ${String(kind)} deadline`, "kind");
  }
  throw err;
}

export function deadlineRoutes(app: FastifyInstance, { db, now }: RouteDeps): void {
  app.get("/api/deadlines/upcoming", async (req) => {
    const query = parseInput(upcomingQuery, req.query, "query");
    const at = now();
    const { text, values } = upcomingDeadlinesQuery(at, query.days, query.limit);
    const { rows } = await db.query<Row>(text, values);
    return {
      now: at.toISOString(),
      days: query.days,
      items: rows.map(({ conference_id, acronym, name, year, website, dates_estimated, ...d }) => ({
        ...d,
        conference: { id: conference_id, acronym, name, year, website, dates_estimated },
      })),
    };
  });

  app.get("/api/conferences/:id/deadlines", async (req) => {
    const { id } = parseInput(idParams, req.params, "path");
    await assertConference(db, id);
    const { rows } = await db.query<Row>(
      `SELECT ${DEADLINE_COLUMNS} FROM deadlines d WHERE d.conference_id = $1 ORDER BY d.due_at, d.id`,
      [id],
    );
    return { items: rows };
  });

  app.post("/api/conferences/:id/deadlines", async (req, reply) => {
    const { id } = parseInput(idParams, req.params, "path");
    const input = parseInput(deadlineCreate, req.body, "body");
    const created = await db.transaction(async (client) => {
      await assertConference(client, id);
      const insert = buildInsert("deadlines", DEADLINE_FIELD_COLUMNS, input, { conference_id: id });
      const { rows } = await client
        .query<{ id: number }>(insert.text, insert.values)
        .catch((err: unknown) => duplicateKind(err, id, input.kind));
      return loadDeadline(client, id, rows[0]!.id);
    });
    void reply.code(201).header("location", `/api/conferences/${id}/deadlines/${String(created.id)}`);
    return created;
  });

  app.patch("/api/conferences/:id/deadlines/:deadlineId", async (req) => {
    const { id, deadlineId } = parseInput(deadlineParams, req.params, "path");
    const input = parseInput(deadlinePatch, req.body, "body");
    return db.transaction(async (client) => {
      await assertConference(client, id);
      const current = await loadDeadline(client, id, deadlineId);
      // A new due_at alone must still mean the stored label (the schema checks the two together).
      if (input.due_at !== undefined && input.timezone === undefined) {
        const label = parseTimezoneLabel(String(current.timezone));
        const problem = label && timezoneMismatch(label, input.due_at);
        if (problem) throw new HttpError(400, `timezone: ${problem}`, "timezone");
      }
      const update = buildUpdate("deadlines", DEADLINE_FIELD_COLUMNS, input, {
        sql: "id = $1 AND conference_id = $2",
        values: [deadlineId, id],
      });
      if (update) await client.query(update.text, update.values).catch((err: unknown) => duplicateKind(err, id, input.kind));
      return loadDeadline(client, id, deadlineId);
    });
  });

  app.delete("/api/conferences/:id/deadlines/:deadlineId", async (req, reply) => {
    const { id, deadlineId } = parseInput(deadlineParams, req.params, "path");
    await assertConference(db, id);
    const { rowCount } = await db.query("DELETE FROM deadlines WHERE id = $1 AND conference_id = $2", [deadlineId, id]);
    if (!rowCount) throw notFound(`deadline ${deadlineId} of conference ${id}`);
    return reply.code(204).send();
  });
}
