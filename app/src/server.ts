import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { buildApp } from "./api/app.js";
import { loadConfig, type AppConfig } from "./config.js";
import type { Db } from "./db.js";
import { createLogger } from "./logger.js";
import { onShutdownSignal } from "./shutdown.js";
import { openAppDatabase } from "./openAppDatabase.js";

export interface RunningApi {
  app: FastifyInstance;
  db: Db;
  url: string;
  /** Stops accepting connections, waits for requests in flight, then ends the pool and the store. */
  close(): Promise<void>;
}

export async function startApi(config: AppConfig, logger: Logger): Promise<RunningApi> {
  const db = await openAppDatabase(config, logger, "confradar-api");
  let app: FastifyInstance;
  try {
    app = await buildApp({ db, logger, allowedHosts: config.allowedHosts, pageCacheMs: config.pageCacheMs });
    closeConnectionsWhenClosing(app);
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await db.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}/`;
  logger.info({ url }, `ConfRadar api listening on ${url}`);
  return {
    app,
    db,
    url,
    async close() {
      try {
        await app.close();
      } finally {
        await db.close();
      }
    },
  };
}

/**
 * While the app closes, every response ends its connection. server.close() closes the connections
 * idle at that moment only; one whose request was in flight would stay open after its answer, and
 * the close would wait for the client or the keep-alive timeout (72 s) instead of ending the drain.
 */
function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (closing) reply.header("connection", "close");
    return payload;
  });
}

/** Process entry for the api role: `npm run app`, or the image's default command. */
export async function runApi(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "confradar-api" });
  const api = await startApi(config, logger);
  onShutdownSignal(logger, () => api.close());
}
