import "./check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import http from "node:http";
import { pathToFileURL } from "node:url";
import { loadConfig } from "./config.js";
import { HEARTBEAT_MAX_AGE_MS, heartbeatAgeMs } from "./worker/heartbeat.js";

export type HealthRole = "api" | "worker" | "auto";

export interface HealthcheckOptions {
  /** "auto": worker if the heartbeat file exists, else api. */
  role: HealthRole;
  heartbeatFile: string;
  port: number;
  host: string;
  maxHeartbeatAgeMs?: number;
  timeoutMs?: number;
}

export interface HealthResult {
  ok: boolean;
  message: string;
}

async function checkWorker(opts: HealthcheckOptions, age: number | null): Promise<HealthResult> {
  const maxAge = opts.maxHeartbeatAgeMs ?? HEARTBEAT_MAX_AGE_MS;
  if (age === null) return { ok: false, message: `no worker heartbeat at ${opts.heartbeatFile} yet` };
  return age <= maxAge
    ? { ok: true, message: `worker heartbeat ${Math.round(age / 1000)} s old` }
    : {
        ok: false,
        message: `worker heartbeat is ${Math.round(age / 1000)} s old (limit ${maxAge / 1000} s): the worker or its database is stuck`,
      };
}

function checkApi(opts: HealthcheckOptions): Promise<HealthResult> {
  const timeoutMs = opts.timeoutMs ?? 4000;
  const host = opts.host === "0.0.0.0" || opts.host === "::" ? "127.0.0.1" : opts.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${opts.port}/readyz`;
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ ok: res.statusCode === 200, message: `${url} answered ${res.statusCode}: ${body.slice(0, 300)}` }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) => resolve({ ok: false, message: `${url}: ${err.message}` }));
  });
}

/**
 * The image's HEALTHCHECK, one command for both roles. The worker keeps a heartbeat file fresh
 * (touched every 10 s after a successful SELECT 1): its age decides. The api must answer 200 on
 * GET /readyz on its local port (database reachable, no pending migrations). With role "auto"
 * an existing heartbeat file means worker.
 */
export async function checkHealth(opts: HealthcheckOptions): Promise<HealthResult> {
  const age = opts.role === "api" ? null : await heartbeatAgeMs(opts.heartbeatFile);
  if (opts.role === "worker" || (opts.role === "auto" && age !== null)) return checkWorker(opts, age);
  return checkApi(opts);
}

export async function healthcheckMain(args: string[]): Promise<number> {
  const role = (args[0] ?? "auto") as HealthRole;
  if (!["api", "worker", "auto"].includes(role)) {
    console.error(`healthcheck: unknown role "${role}"; use api, worker or nothing (auto)`);
    return 2;
  }
  const config = loadConfig();
  const result = await checkHealth({ role, heartbeatFile: config.workerHeartbeatFile, port: config.port, host: config.host });
  (result.ok ? console.log : console.error)(result.message);
  return result.ok ? 0 : 1;
}

// `node dist/app/src/healthcheck.js [api|worker]`: what the image and the infra run.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  healthcheckMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`healthcheck failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
