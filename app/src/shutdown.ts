import type { Logger } from "pino";

export interface ShutdownOptions {
  /** How long the close may take before the process exits 1 anyway. Default 15 000 ms. */
  timeoutMs?: number;
  /** A signal this soon after the first is the same Ctrl-C relayed, not a second one. Default 2000 ms. */
  repeatGraceMs?: number;
}

/**
 * What a SIGINT/SIGTERM means. The first starts the shutdown. A terminal's Ctrl-C reaches every
 * process of the group, and the runners in front of the app (npm, sh, tsx) relay it to it again
 * within milliseconds: a signal within `repeatGraceMs` of the first is that same Ctrl-C ("repeat",
 * ignored). One after that is a person who does not want to wait ("force").
 */
export function classifySignal(firstAt: number | undefined, now: number, repeatGraceMs: number): "start" | "repeat" | "force" {
  if (firstAt === undefined) return "start";
  return now - firstAt < repeatGraceMs ? "repeat" : "force";
}

/**
 * Runs `close` once on the first SIGTERM or SIGINT, then exits 0 (1 if close failed or took
 * longer than `timeoutMs`). A repeated signal within `repeatGraceMs` is ignored; a later one exits 1
 * at once. A forced exit skips the store's clean close: PGlite recovers from its WAL at the next open,
 * and the store's lock is removed on exit (app/src/store/lock.ts).
 */
export function onShutdownSignal(logger: Logger, close: () => Promise<void>, options: ShutdownOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const repeatGraceMs = options.repeatGraceMs ?? 2_000;
  let firstAt: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    const meaning = classifySignal(firstAt, Date.now(), repeatGraceMs);
    if (meaning === "repeat") {
      logger.info({ signal }, `already shutting down (a signal within ${repeatGraceMs} ms is the same one relayed)`);
      return;
    }
    if (meaning === "force") {
      logger.warn({ signal }, "second signal: exiting now, without finishing what is in flight");
      process.exit(1);
    }
    firstAt = Date.now();
    logger.info({ signal }, "shutting down: no new work, finishing what is in flight");
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, "shutdown took too long; exiting");
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        logger.info("shut down cleanly");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
