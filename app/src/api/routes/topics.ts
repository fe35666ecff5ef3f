import { z } from "zod";
import { TOPICS_QUERY } from "../queries.js";
import type { RouteDeps, ZodApp } from "./types.js";

export function topicRoutes(app: ZodApp, { db }: RouteDeps): void {
  // No parameters: any query key is an unknown field, as on every other route.
  app.get("/api/topics", { schema: { querystring: z.strictObject({}) } }, async () => {
    const { rows } = await db.query(TOPICS_QUERY);
    return { items: rows };
  });
}
