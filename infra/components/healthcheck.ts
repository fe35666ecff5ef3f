// Docker health checks as the docker provider reads them back, shared by the stack's containers.

export interface HealthTimings {
  /** Between probes once the container has been healthy. */
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
  /**
   * Between probes while the container starts (until healthy or the start period ends), so `up`
   * sees it healthy early while a running container is probed rarely. Undefined where the engine
   * cannot (API below 1.44, infra/dockerEngine.ts): the interval is then at most 2 s, so `up`
   * does not wait a long interval for the first probe.
   */
  startIntervalSeconds?: number;
}

export interface DockerHealthcheck {
  tests: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
  startInterval: string;
}

/**
 * Whole seconds as Go's time.Duration prints them ("1m0s", "1h0m0s", "10s"): the docker provider
 * reads a health check back in that form, so "60s" would be drift on every `up`.
 */
export function dockerDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** Where the engine has no start interval, probes come at least this often. */
export const INTERVAL_WITHOUT_START_INTERVAL_SECONDS = 2;

export function healthcheck(tests: string[], t: HealthTimings): DockerHealthcheck {
  const interval =
    t.startIntervalSeconds === undefined
      ? Math.min(t.intervalSeconds, INTERVAL_WITHOUT_START_INTERVAL_SECONDS)
      : t.intervalSeconds;
  return {
    tests,
    interval: dockerDuration(interval),
    timeout: dockerDuration(t.timeoutSeconds),
    retries: t.retries,
    startPeriod: dockerDuration(t.startPeriodSeconds),
    // "0s" where the engine has none: what the provider reads back.
    startInterval: dockerDuration(t.startIntervalSeconds ?? 0),
  };
}
