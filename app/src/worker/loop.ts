import type { Logger } from "pino";
import type { Db } from "../db.js";
import { HEARTBEAT_INTERVAL_MS, removeHeartbeat, writeHeartbeat } from "./heartbeat.js";
import { IngestAlreadyRunningError, runIngest, type IngestResult } from "./ingest.js";

export interface WorkerOptions {
  db: Db;
  logger: Logger;
  datasetPath: string;
  /** 0 = no scheduled runs; the worker only keeps its heartbeat (ingest on demand). */
  intervalSeconds: number;
  heartbeatFile: string;
  heartbeatIntervalMs?: number;
}

export interface Worker {
  /** Resolves after the current run (if any) finished; removes the heartbeat. */
  stop(): Promise<void>;
  /** The run in progress or the last one started, for tests. */
  readonly lastRun: Promise<IngestResult | undefined> | undefined;
}

/**
 * The worker process: an ingest at start and then every `intervalSeconds` (the next one is
 * scheduled when the previous ends, so runs never overlap), and a heartbeat file touched every
 * 10 s after a successful `SELECT 1`. The container health check reads the heartbeat's age.
 */
export function startWorker(opts: WorkerOptions): Worker {
  const { db, logger } = opts;
  let stopped = false;
  let scheduleTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let current: Promise<IngestResult | undefined> | undefined;

  const beat = async () => {
    try {
      await db.ping();
      await writeHeartbeat(opts.heartbeatFile);
    } catch (err) {
      logger.warn({ err }, "worker heartbeat skipped: the database did not answer");
    }
    if (!stopped) heartbeatTimer = setTimeout(() => void beat(), opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
  };

  const runOnce = async (): Promise<IngestResult | undefined> => {
    try {
      return await runIngest({ db, logger, datasetPath: opts.datasetPath, trigger: "schedule" });
    } catch (err) {
      if (err instanceof IngestAlreadyRunningError) logger.info("scheduled ingest skipped: another ingest is running");
      else logger.error({ err }, "scheduled ingest could not run");
      return undefined;
    }
  };

  const scheduleNext = () => {
    if (stopped || opts.intervalSeconds <= 0) return;
    scheduleTimer = setTimeout(() => {
      current = runOnce();
      void current.then(scheduleNext);
    }, opts.intervalSeconds * 1000);
  };

  void beat();
  if (opts.intervalSeconds > 0) {
    logger.info(
      { intervalSeconds: opts.intervalSeconds, dataset: opts.datasetPath },
      "worker started: ingest now and on schedule",
    );
    current = runOnce();
    void current.then(scheduleNext);
  } else {
    logger.info("worker started with INGEST_INTERVAL_SECONDS=0: no scheduled ingest; run `npm run ingest` on demand");
  }

  return {
    get lastRun() {
      return current;
    },
    async stop() {
      stopped = true;
      clearTimeout(scheduleTimer);
      clearTimeout(heartbeatTimer);
      if (current) await current;
      await removeHeartbeat(opts.heartbeatFile);
    },
  };
}
