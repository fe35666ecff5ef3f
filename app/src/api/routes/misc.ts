import type { FastifyInstance } from "fastify";
import { parseInput } from "../errors.js";
import { ingestRunsQuery, TOPICS_QUERY } from "../queries.js";
import { z } from "zod";
import { limitQuery } from "../schemas.js";
import type { RouteDeps } from "./conferences.js";

export function topicRoutes(app: FastifyInstance, { db }: RouteDeps): void {
  app.get("/api/topics", async (req) => {
    parseInput(z.strictObject({}), req.query, "query");
    const { rows } = await db.query(TOPICS_QUERY);
    return { items: rows };
  });
}

export function ingestRunRoutes(app: FastifyInstance, { db }: RouteDeps): void {
  app.get("/api/ingest-runs", async (req) => {
    const { limit } = parseInput(limitQuery, req.query, "query");
    const { text, values } = ingestRunsQuery(limit);
    const { rows } = await db.query(text, values);
    return { items: rows };
  });
}
