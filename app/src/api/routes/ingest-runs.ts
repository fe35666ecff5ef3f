import { ingestRunsQuery } from "../queries.js";
import { limitQuery } from "../schemas.js";
import type { RouteDeps, ZodApp } from "./types.js";

export function ingestRunRoutes(app: ZodApp, { db }: RouteDeps): void {
  app.get("/api/ingest-runs", { schema: { querystring: limitQuery } }, async (req) => {
    const { text, values } = ingestRunsQuery(req.query.limit);
    const { rows } = await db.query(text, values);
    return { items: rows };
  });
}
