/**
 * docker:index/container:Container: created, given its uploads, started and, with `wait`, waited on
 * until its health check passes, as the official provider does. Refresh drops a container that is
 * gone, or stopped while it must run, so the next `up` creates it again.
 */
import { pack as tarPack } from "tar-stream";
import type { ResourceHandler } from "../core/resource.js";
import { ResourceInitError } from "../core/resource.js";
import {
  CONTAINER_RULES,
  containerCreateBody,
  containerDefaults,
  type ContainerInputs,
  type ContainerInspect,
  type ContainerState,
  containerState,
  liveContainerInputs,
  validateContainer,
} from "./containerSpec.js";
import { demuxLogs, type DockerSession, engineMessage, isNotFound, pullImage, unlessNotFound } from "./engine.js";

type Uploads = NonNullable<ContainerInputs["uploads"]>;

/** The uploads as one tar archive rooted at /, modes as the official provider sets them. */
async function uploadArchive(uploads: Uploads): Promise<Buffer> {
  const archive = tarPack();
  for (const upload of uploads) {
    archive.entry({ name: upload.file.replace(/^\//, ""), mode: upload.executable ? 0o755 : 0o644 }, upload.content ?? "");
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until the health check passes, as the official provider (an unhealthy container may still
 * recover within the timeout). Stops early only when the container exited for good (restart "no").
 * Returns the reason when it does not get there, with the check's last output and the log's tail.
 */
async function waitUntilHealthy(
  session: DockerSession,
  id: string,
  timeoutSeconds: number,
  restart: string,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const info = (await session.docker.getContainer(id).inspect()) as unknown as ContainerInspect;
    if (info.State.Health?.Status === "healthy") return undefined;
    if (!info.State.Running && info.State.Status === "exited" && restart === "no")
      return `container exited with code ${info.State.ExitCode}${await logTail(session, id)}`;
    if (Date.now() > deadline)
      return `container failed to be in healthy state within ${timeoutSeconds} s (waitTimeout); last check: ${lastHealthOutput(info)}${await logTail(session, id)}`;
    await sleep(HEALTH_POLL_MS);
  }
}

/**
 * How often the wait asks the engine: the health status turns at the engine's own probe times, and
 * every `up` waits for the server and then the app; a 1 s poll added ~0.5 s on average to each of
 * those waits. An inspect is a cheap local call.
 */
const HEALTH_POLL_MS = 100;

function lastHealthOutput(info: ContainerInspect): string {
  const last = info.State.Health?.Log?.at(-1);
  return last ? `exit ${last.ExitCode} ${last.Output.trim().slice(0, 500) || "(no output)"}` : "none yet";
}

async function logTail(session: DockerSession, id: string): Promise<string> {
  try {
    const buffer = (await session.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: 20 })) as unknown as Buffer;
    const text = demuxLogs(buffer);
    return text.trim() ? `\nlast log lines:\n${text.trim()}` : "";
  } catch {
    return "";
  }
}

async function inspect(session: DockerSession, id: string): Promise<ContainerInspect | undefined> {
  return (await unlessNotFound(() => session.docker.getContainer(id).inspect())) as ContainerInspect | undefined;
}

export const containerHandler: ResourceHandler<ContainerInputs, ContainerState, DockerSession> = {
  token: "docker:index/container:Container",
  rules: CONTAINER_RULES,
  // Sets in the official schema (env, labels, mounts, upload, networks_advanced).
  unordered: ["envs", "labels", "mounts", "uploads", "networksAdvanced"],
  // The official provider's choice: the new container needs the old one's name and host ports.
  deleteBeforeReplace: true,
  withDefaults: containerDefaults,
  validate: validateContainer,
  async create(inputs, { session }) {
    const body = containerCreateBody(inputs);
    // As the official provider: an image the engine lacks is pulled first.
    if (!(await unlessNotFound(() => session.docker.getImage(body.Image).inspect()))) {
      await pullImage(session, body.Image).catch((error: unknown) => {
        throw new Error(
          `image ${body.Image} of container ${body.name} is not on this Docker engine and could not be pulled (${engineMessage(error)}); ` +
            "without a registry, build the local images (`bash scripts/images/build`) and run with CONFRADAR_IMAGES=local",
        );
      });
    }
    let container: Awaited<ReturnType<typeof session.docker.createContainer>>;
    try {
      container = await session.docker.createContainer(body);
    } catch (error) {
      throw new Error(`creating container ${body.name || "(unnamed)"} failed: ${engineMessage(error)}`);
    }
    const id = container.id;
    try {
      // The official order: off the default bridge first, then onto each network (Docker keeps
      // only the default bridge when it is disconnected after the others are connected).
      const networks = inputs.networksAdvanced ?? [];
      if (networks.length > 0)
        await session.docker
          .getNetwork("bridge")
          .disconnect({ Container: id, Force: false })
          .catch((error: unknown) => {
            if (!/is not connected/.test(engineMessage(error))) throw error;
          });
      for (const network of networks)
        await session.docker
          .getNetwork(network.name)
          .connect({ Container: id, EndpointConfig: { Aliases: network.aliases ?? [] } });
      if (inputs.uploads?.length) await container.putArchive(await uploadArchive(inputs.uploads), { path: "/" });
      await container.start();
    } catch (error) {
      const info = await inspect(session, id);
      throw new ResourceInitError(
        `starting container ${body.name} failed: ${engineMessage(error)}`,
        id,
        info ? containerState(info, inputs) : {},
      );
    }
    const defaults = containerDefaults(inputs);
    if (defaults.wait && !inputs.healthcheck)
      throw new ResourceInitError(
        `container ${body.name}: you have supplied a 'wait' argument, but the container does not have a healthcheck defined. Please remove the 'wait' argument or add a 'healthcheck' attribute`,
        id,
        {},
      );
    if (defaults.wait) {
      const problem = await waitUntilHealthy(session, id, defaults.waitTimeout ?? 60, defaults.restart ?? "no");
      const info = await inspect(session, id);
      if (problem)
        throw new ResourceInitError(`container ${body.name}: ${problem}`, id, info ? containerState(info, inputs) : {});
    }
    const info = await inspect(session, id);
    if (!info) throw new Error(`container ${body.name} disappeared right after it started`);
    return { id, state: containerState(info, inputs) };
  },
  async read(id, _state, inputs, { session }) {
    const info = await inspect(session, id);
    if (!info) return undefined;
    // Like the official provider: a container that must run but has stopped is recorded with
    // mustRun false, so the next `up` shows the change and starts it again.
    const live = liveContainerInputs(info, inputs);
    if (!info.State.Running && (inputs.mustRun ?? true)) live.mustRun = false;
    return { id, state: containerState(info, inputs), inputs: live };
  },
  async update(id, _state, news, olds, { session }) {
    const defaults = containerDefaults(news);
    const container = session.docker.getContainer(id);
    if ((olds.restart ?? "no") !== defaults.restart)
      await container.update({ RestartPolicy: { Name: defaults.restart ?? "no" } });
    if (defaults.mustRun && !(await inspect(session, id))?.State.Running) {
      await container.start();
      if (defaults.wait) {
        const problem = await waitUntilHealthy(session, id, defaults.waitTimeout ?? 60, defaults.restart ?? "no");
        if (problem) throw new Error(`container ${news.name ?? id}: ${problem}`);
      }
    }
    const info = await inspect(session, id);
    if (!info) throw new Error(`container ${news.name ?? id} is gone: run \`npm run refresh\`, then \`npm run up\``);
    return containerState(info, news);
  },
  async delete(id, _state, inputs, { session }) {
    const container = session.docker.getContainer(id);
    try {
      // Stop first with the grace period (PostgreSQL gets its stop signal and time to shut down
      // cleanly; 0 when unset, as the official provider), then remove it with its anonymous volumes.
      await container.stop({ t: inputs.destroyGraceSeconds ?? 0 }).catch((error: unknown) => {
        if (!isNotFound(error) && (error as { statusCode?: number }).statusCode !== 304) throw error;
      });
      await container.remove({ v: true, force: true });
    } catch (error) {
      if (!isNotFound(error)) throw new Error(`removing container ${inputs.name ?? id} failed: ${engineMessage(error)}`);
    }
  },
};
