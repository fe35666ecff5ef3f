import { httpErrors } from "@fastify/sensible";
import type { Queryable } from "../../db.js";
import { isPgError, PG_UNIQUE_VIOLATION } from "../db-errors.js";
import { fieldError } from "../errors.js";
import {
  conferenceDeadlinesQuery,
  conferenceExistsQuery,
  deadlineQuery,
  deleteDeadlineQuery,
  insertDeadlineQuery,
  upcomingDeadlinesQuery,
  updateDeadlineQuery,
} from "../queries.js";
import { deadlineCreate, deadlineParams, deadlinePatch, idParams, upcomingQuery } from "../schemas.js";
import { parseTimezoneLabel, timezoneMismatch } from "../timezones.js";
import { noConference } from "./conferences.js";
import type { RouteDeps, ZodApp } from "./types.js";

type Row = Record<string, unknown>;

const noDeadline = (conferenceId: number, deadlineId: number) => `deadline ${deadlineId} of conference ${conferenceId} not found`;

async function assertConference(client: Queryable, id: number): Promise<void> {
  const { text, values } = conferenceExistsQuery(id);
  const { rowCount } = await client.query(text, values);
  if (!rowCount) throw httpErrors.notFound(noConference(id));
}

async function loadDeadline(client: Queryable, conferenceId: number, deadlineId: number): Promise<Row> {
  const { text, values } = deadlineQuery(conferenceId, deadlineId);
  const { rows } = await client.query<Row>(text, values);
  if (!rows[0]) throw httpErrors.notFound(noDeadline(conferenceId, deadlineId));
  return rows[0];
}

function duplicateKind(err: unknown, conferenceId: number, kind: unknown): never {
  if (isPgError(err, PG_UNIQUE_VIOLATION)) {
    throw fieldError(409, `kind: conference ${conferenceId} already has a ${String(kind)} deadline`, "kind");
  }
  throw err;
}

export function deadlineRoutes(app: ZodApp, { db, now }: RouteDeps): void {
  app.get("/api/deadlines/upcoming", { schema: { querystring: upcomingQuery } }, async (req) => {
    const { query } = req;
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

  app.get("/api/conferences/:id/deadlines", { schema: { params: idParams } }, async (req) => {
    const { id } = req.params;
    await assertConference(db, id);
    const { text, values } = conferenceDeadlinesQuery(id);
    const { rows } = await db.query<Row>(text, values);
    return { items: rows };
  });

  app.post("/api/conferences/:id/deadlines", { schema: { params: idParams, body: deadlineCreate } }, async (req, reply) => {
    const { id } = req.params;
    const input = req.body;
    const created = await db.transaction(async (client) => {
      await assertConference(client, id);
      const insert = insertDeadlineQuery(id, input);
      const { rows } = await client
        .query<{ id: number }>(insert.text, insert.values)
        .catch((err: unknown) => duplicateKind(err, id, input.kind));
      return loadDeadline(client, id, rows[0]!.id);
    });
    void reply.code(201).header("location", `/api/conferences/${id}/deadlines/${String(created.id)}`);
    return created;
  });

  app.patch(
    "/api/conferences/:id/deadlines/:deadlineId",
    { schema: { params: deadlineParams, body: deadlinePatch } },
    async (req) => {
      const { id, deadlineId } = req.params;
      const input = req.body;
      return db.transaction(async (client) => {
        await assertConference(client, id);
        const current = await loadDeadline(client, id, deadlineId);
        // A new due_at alone must still mean the stored label (the schema checks the two together).
        if (input.due_at !== undefined && input.timezone === undefined) {
          const label = parseTimezoneLabel(String(current.timezone));
          const problem = label && timezoneMismatch(label, input.due_at);
          if (problem) throw fieldError(400, `timezone: ${problem}`, "timezone");
        }
        const update = updateDeadlineQuery(id, deadlineId, input);
        if (update) await client.query(update.text, update.values).catch((err: unknown) => duplicateKind(err, id, input.kind));
        return loadDeadline(client, id, deadlineId);
      });
    },
  );

  app.delete("/api/conferences/:id/deadlines/:deadlineId", { schema: { params: deadlineParams } }, async (req, reply) => {
    const { id, deadlineId } = req.params;
    await assertConference(db, id);
    const { text, values } = deleteDeadlineQuery(id, deadlineId);
    const { rowCount } = await db.query(text, values);
    if (!rowCount) return reply.notFound(noDeadline(id, deadlineId));
    return reply.code(204).send();
  });
}
