import { execFileSync } from "node:child_process";

/**
 * What the Docker engine that runs the stack can do, asked once per program run.
 *
 * Health checks' `start_interval` (probe often while a container starts, rarely after) needs
 * Engine API 1.44 (Docker 25). Older engines, such as Debian bookworm's docker.io 20.10, drop the
 * field without a word, and the docker provider then reads back a health check that differs from
 * the program's, so every `refresh` would report drift and every `up` replace the containers.
 */
const START_INTERVAL_API = [1, 44] as const;

let apiVersion: string | undefined | null = null;

/** The engine's API version ("1.41"), or undefined when no engine answers (e.g. under mocks). */
export function dockerApiVersion(): string | undefined {
  if (apiVersion === null) {
    try {
      apiVersion = execFileSync("docker", ["version", "--format", "{{.Server.APIVersion}}"], {
        encoding: "utf8",
        timeout: 15_000,
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    } catch {
      apiVersion = undefined;
    }
  }
  return apiVersion || undefined;
}

/** True when the API version supports health checks' start_interval. */
export function supportsHealthStartInterval(version: string | undefined): boolean {
  const [major, minor] = (version ?? "0.0").split(".").map(Number);
  return (
    (major ?? 0) > START_INTERVAL_API[0] || ((major ?? 0) === START_INTERVAL_API[0] && (minor ?? 0) >= START_INTERVAL_API[1])
  );
}
