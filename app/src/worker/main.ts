import { loadConfig } from "../config.js";
import type { Db } from "../db.js";
import { openAppDatabase } from "../openAppDatabase.js";
import { EmbeddedStoreBusyError } from "../store/index.js";
import { createLogger } from "../logger.js";
import { onShutdownSignal } from "../shutdown.js";
import { IngestAlreadyRunningError, runIngest } from "./ingest.js";
import { startWorker } from "./loop.js";

/** Process entry for the worker role: scheduled ingests and the heartbeat, until a signal. */
export async function runWorker(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "confradar-worker" });
  const db = await openAppDatabase(config, logger, "confradar-worker");
  const worker = startWorker({
    db,
    logger,
    datasetPath: config.datasetPath,
    intervalSeconds: config.ingestIntervalSeconds,
    heartbeatFile: config.workerHeartbeatFile,
  });
  // A run in progress is allowed to finish: its transaction is short, and killing it mid-way
  // would only leave a "running" record for the next run to close.
  onShutdownSignal(
    logger,
    async () => {
      try {
        await worker.stop();
      } finally {
        await db.close();
      }
    },
    { timeoutMs: 60_000 },
  );
}

/** Exit codes of `npm run ingest`: busy is another run, or another process holding the embedded store. */
export const INGEST_EXIT = { succeeded: 0, failed: 1, busy: 2 } as const;

/** Process entry for `npm run ingest`: one manual run; the exit code says how it went. */
export async function runIngestOnce(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "confradar-ingest" });
  let db: Db;
  try {
    db = await openAppDatabase(config, logger, "confradar-ingest", 2);
  } catch (err) {
    if (err instanceof EmbeddedStoreBusyError) {
      logger.error(err.message);
      return INGEST_EXIT.busy;
    }
    throw err;
  }
  try {
    const result = await runIngest({ db, logger, datasetPath: config.datasetPath, trigger: "manual" });
    return result.status === "succeeded" ? INGEST_EXIT.succeeded : INGEST_EXIT.failed;
  } catch (err) {
    if (err instanceof IngestAlreadyRunningError) {
      logger.error(err.message);
      return INGEST_EXIT.busy;
    }
    throw err;
  } finally {
    await db.close();
  }
}
