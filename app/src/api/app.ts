import { STATUS_CODES } from "node:http";
import compress from "@fastify/compress";
import helmet from "@fastify/helmet";
import sensible, { HttpError } from "@fastify/sensible";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { serializerCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { isTransientConnectError, type Db } from "../db.js";
import { migrationStatusOn } from "../migrate/index.js";
import { loadPageScript } from "../web/assets.js";
import { PAGE_CONTENT_SECURITY_POLICY } from "../web/page.js";
import { PageCache, type RenderedPage } from "../web/pageCache.js";
import { pageRoutes } from "../web/routes.js";
import { mapDbError } from "./db-errors.js";
import { fieldError, schemaErrorFormatter, validatorCompiler } from "./errors.js";
import { hostName, isAllowedHost, isCrossOriginWrite } from "./hosts.js";
import { parseJsonBody } from "./json-body.js";
import { conferenceRoutes } from "./routes/conferences.js";
import { deadlineRoutes } from "./routes/deadlines.js";
import { healthRoutes, type MigrationStatusFn } from "./routes/health.js";
import { ingestRunRoutes } from "./routes/ingest-runs.js";
import { topicRoutes } from "./routes/topics.js";

export interface BuildAppOptions {
  db: Db;
  logger: Logger;
  /** What time it is; tests pin it. Default: the clock. */
  now?: () => Date;
  /**
   * For /readyz. Default: migrationStatusOn(db) from app/src/migrate, the ledger read on the app's
   * own pool (a probe opens no connection of its own).
   */
  migrationStatus?: MigrationStatusFn;
  /** Upper bound of each /readyz probe. Default 3000 ms. */
  probeTimeoutMs?: number;
  /**
   * Host names answered besides the loopback ones (127.0.0.1, localhost, ::1), any port; "*" for
   * any. Default none: ALLOWED_HOSTS in config.
   */
  allowedHosts?: readonly string[];
  /**
   * How long a rendered page is served to other readers (web/pageCache.ts). Default 0 here, so a
   * test sees every change it makes; the process takes PAGE_CACHE_MS from config (default 1000).
   */
  pageCacheMs?: number;
}

function errorBody(statusCode: number, message: string, field?: string) {
  return { statusCode, error: STATUS_CODES[statusCode] ?? "Error", message, ...(field ? { field } : {}) };
}

/**
 * The HTTP app (API, page, health) without a listening socket: the process entry
 * (app/src/server.ts) listens, tests call `app.inject`. Closing the app does not close `db`.
 */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { db } = opts;
  const now = opts.now ?? (() => new Date());
  const app = (
    Fastify({
      loggerInstance: opts.logger,
      bodyLimit: 256 * 1024,
      schemaErrorFormatter,
    }) as unknown as FastifyInstance
  ).withTypeProvider<ZodTypeProvider>();
  // Routes validate params, query and body with the zod schemas in schemas.ts (route `schema`).
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // reply.notFound() and httpErrors: the errors routes throw, answered by the error handler below.
  await app.register(sensible);

  // JSON is the only body the API reads: fastify's text/plain parser is gone, so a text/plain
  // body is a 415 like any other type instead of a string that fails validation.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // Security headers on every answer (the guard's 403s included, hence first), the page's CSP
  // among them: it lets in the page's own inline style (by hash) and nothing else, and forbids
  // framing. HSTS is off: the app serves plain HTTP on loopback; a TLS proxy in front sets its own.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_CONTENT_SECURITY_POLICY },
    strictTransportSecurity: false,
    xFrameOptions: { action: "deny" },
  });

  // Compressed answers for clients that accept them (br, gzip or deflate; the page is ~100 kB of
  // HTML, a twentieth of that compressed); bodies under 1 kB go as they are. Brotli at the
  // plugin's quality 4, not zlib's 11, which costs more CPU than it saves bytes on a page per request.
  await app.register(compress, { global: true });

  // Before routing and body parsing: other web pages in the same browser get nothing (hosts.ts).
  const allowedHosts = opts.allowedHosts ?? [];
  app.addHook("onRequest", async (req) => {
    const { host, origin } = req.headers;
    if (!isAllowedHost(host, allowedHosts)) {
      req.log.warn({ host }, "request for a host name this server does not answer to (ALLOWED_HOSTS)");
      const message = `host: this server does not answer to ${JSON.stringify(hostName(host!))}; if that is one of its names, add it to ALLOWED_HOSTS`;
      throw fieldError(403, message, "host");
    }
    if (isCrossOriginWrite(req.method, origin, host)) {
      req.log.warn({ origin, host }, "write from another origin refused");
      const message = `origin: a write from the page at ${JSON.stringify(origin)} is refused: only this server's own pages may write`;
      throw fieldError(403, message, "origin");
    }
  });

  app.setErrorHandler(async (error: FastifyError, req, reply) => {
    // Validation errors too: schemaErrorFormatter (errors.ts) makes them HttpErrors.
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message, error.field));
    }
    const mapped = await mapDbError(error, db);
    if (mapped) {
      if (mapped.statusCode >= 500) req.log.warn({ err: error }, "database error");
      return reply.code(mapped.statusCode).send(errorBody(mapped.statusCode, mapped.message, mapped.field));
    }
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      const type = String(req.headers["content-type"] ?? "none")
        .split(";")[0]!
        .trim();
      return reply
        .code(415)
        .send(errorBody(415, `body: Unsupported Media Type: ${type} (the API reads application/json)`, "body"));
    }
    // fastify's own 4xx: body too large, ...
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, `body: ${error.message}`, "body"));
    }
    if (isTransientConnectError(error)) {
      req.log.warn({ err: error }, "database unavailable");
      return reply.code(503).send(errorBody(503, "the database is unavailable; try again shortly"));
    }
    req.log.error({ err: error }, "request failed");
    return reply.code(500).send(errorBody(500, "internal error; the server log has the details"));
  });

  app.setNotFoundHandler(async (req, reply) => reply.notFound(`no route ${req.method} ${req.url.split("?")[0]}`));

  const deps = { db, now };
  healthRoutes(app, {
    db,
    probeTimeoutMs: opts.probeTimeoutMs ?? 3000,
    migrationStatus: opts.migrationStatus ?? (() => migrationStatusOn(db)),
  });
  conferenceRoutes(app, deps);
  deadlineRoutes(app, deps);
  topicRoutes(app, deps);
  ingestRunRoutes(app, deps);
  // Every successful write through the API clears the page cache, so whoever changed something
  // sees it on the next load; other processes' writes show within pageCacheMs.
  const pageCache = new PageCache<RenderedPage>({ ttlMs: opts.pageCacheMs ?? 0 });
  // (onSend: before the answer leaves, so the writer's next request can never find the old page.)
  app.addHook("onSend", async (req, reply) => {
    if (req.method !== "GET" && req.method !== "HEAD" && reply.statusCode < 400) pageCache.clear();
  });
  pageRoutes(app, { ...deps, script: loadPageScript(), pageCache });
  return app;
}
