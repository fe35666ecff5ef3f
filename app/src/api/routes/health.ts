import type { FastifyInstance } from "fastify";
import type { Db } from "../../db.js";
import { redact } from "../../redact.js";

export type MigrationStatusFn = () => Promise<{ applied: string[]; pending: string[] }>;

export interface HealthDeps {
  db: Db;
  /** Reads the migration ledger; the app wires migrationStatusOn(db), on the app's pool. */
  migrationStatus: MigrationStatusFn;
  /** Upper bound for each readiness probe, so a hung database gives a 503, not a hung check. */
  probeTimeoutMs: number;
}

async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const reasonOf = (err: unknown) => redact((err as Error)?.message ?? String(err));

export function healthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  // Liveness only: answers as long as the event loop does. Never touches the database, so a
  // database outage does not get the process restarted.
  app.get("/healthz", async () => ({ status: "ok" }));

  // Says what kind of store and whether it is ready, never where it is: the store's description
  // has the server's address or the PGlite folder's full path, and this answers anyone who can
  // reach the port. The start-up log line has the description.
  app.get("/readyz", async (_req, reply) => {
    const store = deps.db.kind;
    try {
      await withTimeout("the database", deps.probeTimeoutMs, deps.db.ping());
    } catch (err) {
      return reply.code(503).send({ status: "unavailable", store, reason: `database not reachable: ${reasonOf(err)}` });
    }
    let status: Awaited<ReturnType<MigrationStatusFn>>;
    try {
      status = await withTimeout("the migration status", deps.probeTimeoutMs, deps.migrationStatus());
    } catch (err) {
      return reply
        .code(503)
        .send({ status: "unavailable", store, reason: `could not read the migration status: ${reasonOf(err)}` });
    }
    if (status.pending.length > 0) {
      return reply.code(503).send({
        status: "unavailable",
        store,
        reason: `${status.pending.length} pending migration(s): ${status.pending.join(", ")}; run npm run migrate:up (or the image's "migrate up")`,
        pending: status.pending,
      });
    }
    return { status: "ready", store, migrations: { applied: status.applied.length } };
  });
}
