import { execFileSync } from "node:child_process";

/**
 * What the Docker engine that runs the stack is and can do, asked once per program run.
 *
 * Health checks' `start_interval` (probe often while a container starts, rarely after) needs
 * Engine API 1.44 (Docker 25). Older engines, such as Debian bookworm's docker.io 20.10, drop the
 * field without a word, and the docker provider then reads back a health check that differs from
 * the program's, so every `refresh` would report drift and every `up` replace the containers.
 */
const START_INTERVAL_API = [1, 44] as const;

export interface EngineFacts {
  /** The engine's API version ("1.41"). */
  apiVersion?: string;
  /** The platform its containers run on ("linux/arm64"): what images are built for. */
  platform?: string;
}

/** The `docker version` format engineFacts asks for: API version, then OS/architecture. */
const VERSION_FORMAT = "{{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}";

/** What `docker version --format VERSION_FORMAT` printed, as facts; a part that is not there is left out. */
export function parseEngineFacts(printed: string): EngineFacts {
  const [apiVersion = "", platform = ""] = printed.trim().split(/\s+/);
  return {
    ...(/^\d+\.\d+$/.test(apiVersion) ? { apiVersion } : {}),
    ...(/^[a-z0-9]+\/[a-z0-9_]+$/.test(platform) ? { platform } : {}),
  };
}

let facts: EngineFacts | null = null;

/** One `docker version` per program run; nothing when no engine answers (e.g. under mocks). */
function engineFacts(): EngineFacts {
  if (facts === null) {
    try {
      facts = parseEngineFacts(
        execFileSync("docker", ["version", "--format", VERSION_FORMAT], {
          encoding: "utf8",
          timeout: 15_000,
          stdio: ["ignore", "pipe", "ignore"],
        }),
      );
    } catch {
      facts = {};
    }
  }
  return facts;
}

/** The engine's API version ("1.41"), or undefined when no engine answers (e.g. under mocks). */
export function dockerApiVersion(): string | undefined {
  return engineFacts().apiVersion;
}

/**
 * The engine's platform ("linux/arm64"), or undefined when no engine answers. It can differ from
 * this machine's: Node.js for x64 under Rosetta beside an arm64 Docker Desktop, or a DOCKER_HOST
 * elsewhere; an image built for the machine's would then run emulated, or not at all.
 */
export function dockerEnginePlatform(): string | undefined {
  return engineFacts().platform;
}

/** True when the API version supports health checks' start_interval. */
export function supportsHealthStartInterval(version: string | undefined): boolean {
  const [major, minor] = (version ?? "0.0").split(".").map(Number);
  return (
    (major ?? 0) > START_INTERVAL_API[0] || ((major ?? 0) === START_INTERVAL_API[0] && (minor ?? 0) >= START_INTERVAL_API[1])
  );
}
