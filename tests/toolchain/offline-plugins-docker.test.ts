// The offline docker plugin's handlers called directly (not through the Pulumi engine) against the
// real Docker engine: network, volume, remote image, built image and container, each created,
// read, changed and deleted as the engine would, with what Docker then shows checked by the CLI.
// Every object carries this run's label and goes in afterAll.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import localImages from "../../images/local-images.json" with { type: "json" };
import { type CheckFailure, type OperationContext, ResourceInitError } from "../../offline/plugins/core/resource.js";
import { containerHandler } from "../../offline/plugins/docker/container.js";
import { connectDocker, type DockerSession } from "../../offline/plugins/docker/engine.js";
import { imageHandler } from "../../offline/plugins/docker/image.js";
import { networkHandler } from "../../offline/plugins/docker/network.js";
import { remoteImageHandler } from "../../offline/plugins/docker/remoteImage.js";
import { volumeHandler } from "../../offline/plugins/docker/volume.js";
import { removeLabelled, requireDocker, requireImage, sh } from "./pulumiProject.js";

const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = "org.confradar.offline-plugins-docker-run";
const runLabel = { label, value: runId };
const prefix = `confradar-opd-${runId}`;
const tempDirs: string[] = [];
let session: DockerSession;

function ctx(name: string): OperationContext<DockerSession> {
  return { urn: `urn:pulumi:test::offline-plugins::docker:test::${name}`, name, timeoutSeconds: 0, session };
}

/** What the engine's `check` does before create: defaults, the prepared additions, validation. */
function checked<I>(
  handler: { withDefaults?(inputs: I): I; prepare?(inputs: I): I; validate?(inputs: I): CheckFailure[] },
  inputs: I,
): I {
  const defaulted = handler.withDefaults ? handler.withDefaults(inputs) : inputs;
  const prepared = handler.prepare ? handler.prepare(defaulted) : defaulted;
  expect(handler.validate?.(prepared) ?? []).toEqual([]);
  return prepared;
}

function docker(...args: string[]): string {
  const r = sh("docker", args);
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

const exists = (kind: "network" | "volume" | "container" | "image", id: string) =>
  sh("docker", [kind, "inspect", id]).status === 0;

function inspectJson<T>(kind: "network" | "volume" | "container", id: string, format: string): T {
  return JSON.parse(docker(kind, "inspect", "--format", `{{json ${format}}}`, id)) as T;
}

beforeAll(() => {
  requireDocker();
  requireImage(localImages.base);
  session = connectDocker();
});

afterAll(() => {
  removeLabelled(label, runId);
  const images = sh("docker", ["images", "-q", "--filter", `label=${label}=${runId}`])
    .stdout.split("\n")
    .filter(Boolean);
  if (images.length > 0) sh("docker", ["rmi", "-f", ...new Set(images)]);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("docker Network", () => {
  it("is created with its labels, read back, and gone after delete", async () => {
    const name = `${prefix}-net`;
    const inputs = checked(networkHandler, { name, labels: [runLabel] });
    const { id, state } = await networkHandler.create(inputs, ctx("net"));
    expect(state.name).toBe(name);
    expect(state.driver).toBe("bridge");
    expect(docker("network", "inspect", "--format", "{{.Id}} {{.Name}}", name)).toBe(`${id} ${name}`);
    expect(inspectJson<Record<string, string>>("network", id, ".Labels")).toEqual({ [label]: runId });

    const read = await networkHandler.read(id, state, inputs, ctx("net"));
    expect(read?.id).toBe(id);
    expect(read?.inputs.name).toBe(name);
    expect(read?.inputs.labels).toEqual([runLabel]);
    expect(read?.state.driver).toBe("bridge");

    await networkHandler.delete(id, state, inputs, ctx("net"));
    expect(exists("network", id)).toBe(false);
    expect(await networkHandler.read(id, state, inputs, ctx("net"))).toBeUndefined();
    // Deleting what is already gone succeeds (a refresh may not have run).
    await expect(networkHandler.delete(id, state, inputs, ctx("net"))).resolves.toBeUndefined();
  });
});

describe("docker Volume", () => {
  it("is created, read, adopted when it exists, and deleted", async () => {
    const name = `${prefix}-vol`;
    const inputs = checked(volumeHandler, { name, labels: [runLabel] });
    const first = await volumeHandler.create(inputs, ctx("vol"));
    expect(first.id).toBe(name);
    expect(first.state.driver).toBe("local");
    expect(inspectJson<Record<string, string>>("volume", name, ".Labels")).toEqual({ [label]: runId });

    // A kept volume is adopted by the next create: same id, same place on disk.
    docker(
      "run",
      "--rm",
      "--label",
      `${label}=${runId}`,
      "-v",
      `${name}:/data`,
      localImages.base,
      "sh",
      "-c",
      "echo kept > /data/f",
    );
    const again = await volumeHandler.create(inputs, ctx("vol"));
    expect(again.id).toBe(first.id);
    expect(again.state.mountpoint).toBe(first.state.mountpoint);
    expect(docker("run", "--rm", "--label", `${label}=${runId}`, "-v", `${name}:/data`, localImages.base, "cat", "/data/f")).toBe(
      "kept",
    );

    const read = await volumeHandler.read(first.id, first.state, inputs, ctx("vol"));
    expect(read?.id).toBe(name);
    expect(read?.inputs.labels).toEqual([runLabel]);
    expect(read?.state.mountpoint).toBe(first.state.mountpoint);

    await volumeHandler.delete(first.id, first.state, inputs, ctx("vol"));
    expect(exists("volume", name)).toBe(false);
    expect(await volumeHandler.read(first.id, first.state, inputs, ctx("vol"))).toBeUndefined();
  });
});

describe("docker RemoteImage", () => {
  it("uses a local image as it is: imageId and the official id", async () => {
    const inputs = checked(remoteImageHandler, { name: localImages.base, keepLocally: true });
    const { id, state } = await remoteImageHandler.create(inputs, ctx("base"));
    const engineId = docker("image", "inspect", "--format", "{{.Id}}", localImages.base);
    expect(state.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(state.imageId).toBe(engineId);
    expect(id).toBe(`${state.imageId}${localImages.base}`);

    const read = await remoteImageHandler.read(id, state, inputs, ctx("base"));
    expect(read?.state.imageId).toBe(engineId);

    // keepLocally: delete leaves the image (the local base must survive this test).
    await remoteImageHandler.delete(id, state, inputs, ctx("base"));
    expect(exists("image", localImages.base)).toBe(true);
  });

  it("names the image and the local build when it can be neither found nor pulled", async () => {
    const name = "confradar-local/does-not-exist:1";
    expect(exists("image", name)).toBe(false);
    const inputs = checked(remoteImageHandler, { name });
    const error = await remoteImageHandler.create(inputs, ctx("missing")).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain(name);
    expect(error!.message).toContain("scripts/images/build");
    expect(await remoteImageHandler.read("", { imageId: "", repoDigest: "" }, inputs, ctx("missing"))).toBeUndefined();
  });
});

describe("docker Image", () => {
  it("builds the context after .dockerignore, and its digest follows the files sent", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "confradar-opd-image-"));
    tempDirs.push(dir);
    writeFileSync(
      path.join(dir, "Dockerfile"),
      `FROM ${localImages.base}\nLABEL ${label}=${runId}\nCOPY hello.txt /hello.txt\nCOPY . /ctx/\n`,
    );
    writeFileSync(path.join(dir, ".dockerignore"), "ignored.txt\n");
    writeFileSync(path.join(dir, "hello.txt"), "hello from the context\n");
    writeFileSync(path.join(dir, "ignored.txt"), "must not be sent\n");
    const imageName = `${prefix}-image:test`;
    const raw = { imageName, skipPush: true, build: { context: dir } };

    const inputs = checked(imageHandler, raw);
    const digest = inputs.build?.contextDigest;
    expect(digest).toMatch(/^[0-9a-f]{64}$/);

    const { id, state } = await imageHandler.create(inputs, ctx("image"));
    expect(id).toBe(imageName);
    expect(state.repoDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(state.repoDigest).toBe(docker("image", "inspect", "--format", "{{.Id}}", imageName));
    const run = (...command: string[]) => docker("run", "--rm", "--label", `${label}=${runId}`, imageName, ...command);
    expect(run("cat", "/hello.txt")).toBe("hello from the context");
    expect(run("ls", "-A", "/ctx").split("\n").sort()).toEqual([".dockerignore", "Dockerfile", "hello.txt"]);

    // An ignored file does not change the digest; a sent one does.
    writeFileSync(path.join(dir, "ignored.txt"), "changed, still not sent\n");
    expect(checked(imageHandler, raw).build?.contextDigest).toBe(digest);
    writeFileSync(path.join(dir, "hello.txt"), "hello again\n");
    const changed = checked(imageHandler, raw);
    expect(changed.build?.contextDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(changed.build?.contextDigest).not.toBe(digest);

    // The update builds again under the same name: a new image id.
    const updated = await imageHandler.update!(id, state, changed, inputs, ctx("image"));
    expect(updated.repoDigest).toMatch(/^sha256:/);
    expect(updated.repoDigest).not.toBe(state.repoDigest);
    expect(run("cat", "/hello.txt")).toBe("hello again");
  });

  it("refuses to push and reports a failing build with the engine's message", async () => {
    expect(imageHandler.validate!({ imageName: "x", build: { context: "." } }).map((f) => f.property)).toEqual(["skipPush"]);
    const dir = mkdtempSync(path.join(tmpdir(), "confradar-opd-image-bad-"));
    tempDirs.push(dir);
    writeFileSync(path.join(dir, "Dockerfile"), `FROM ${localImages.base}\nLABEL ${label}=${runId}\nRUN exit 3\n`);
    const inputs = checked(imageHandler, { imageName: `${prefix}-bad:test`, skipPush: true, build: { context: dir } });
    await expect(imageHandler.create(inputs, ctx("bad"))).rejects.toThrow(/docker build of .*-bad:test failed/);
  });
});

describe("docker Container", () => {
  const networkName = `${prefix}-ctr-net`;

  // Removed with the run's other labelled objects, after the containers (removeLabelled's order).
  beforeAll(async () => {
    await networkHandler.create(checked(networkHandler, { name: networkName, labels: [runLabel] }), ctx("n"));
  });

  it("is created healthy with its ports, uploads, labels and alias; stopped, started again, deleted", async () => {
    const name = `${prefix}-ctr`;
    const inputs = checked(containerHandler, {
      name,
      image: localImages.base,
      command: ["sleep", "300"],
      healthcheck: { tests: ["CMD", "true"], interval: "1s", timeout: "5s", retries: 3 },
      wait: true,
      waitTimeout: 30,
      ports: [{ internal: 8080, ip: "127.0.0.1" }],
      uploads: [{ file: "/seed/a.txt", content: "x" }],
      labels: [{ label: "org.confradar.offline-plugins-extra", value: "yes" }, runLabel],
      networksAdvanced: [{ name: networkName, aliases: ["opd-alias"] }],
    });
    const { id, state } = await containerHandler.create(inputs, ctx("ctr"));
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    expect(docker("inspect", "--format", "{{.State.Running}} {{.State.Health.Status}}", id)).toBe("true healthy");
    expect(state.ports).toHaveLength(1);
    const port = state.ports![0]!;
    expect(port).toMatchObject({ internal: 8080, ip: "127.0.0.1", protocol: "tcp" });
    expect(port.external).toBeGreaterThan(0);
    expect(docker("port", id, "8080/tcp")).toBe(`127.0.0.1:${port.external}`);
    expect(docker("exec", id, "cat", "/seed/a.txt")).toBe("x");
    const labels = inspectJson<Record<string, string>>("container", id, ".Config.Labels");
    expect(labels).toMatchObject({ [label]: runId, "org.confradar.offline-plugins-extra": "yes" });
    const networks = inspectJson<Record<string, { Aliases: string[] | null; IPAddress: string }>>(
      "container",
      id,
      ".NetworkSettings.Networks",
    );
    expect(Object.keys(networks)).toEqual([networkName]);
    expect(networks[networkName]!.Aliases).toContain("opd-alias");
    expect(state.networkDatas).toEqual([expect.objectContaining({ networkName, ipAddress: networks[networkName]!.IPAddress })]);
    expect(state.exitCode).toBeUndefined();

    const read = await containerHandler.read(id, state, inputs, ctx("ctr"));
    expect(read?.id).toBe(id);
    expect(read?.inputs.name).toBe(name);
    expect(read?.inputs.mustRun).toBe(true);
    expect(read?.state.ports).toEqual(state.ports);

    // Stopped by hand: refresh records mustRun false, so the next `up` starts it.
    docker("stop", "-t", "1", id);
    const stopped = await containerHandler.read(id, state, inputs, ctx("ctr"));
    expect(stopped?.inputs.mustRun).toBe(false);
    expect(stopped?.state.exitCode).toEqual(expect.any(Number));

    const restarted = await containerHandler.update!(id, stopped!.state, inputs, stopped!.inputs, ctx("ctr"));
    expect(docker("inspect", "--format", "{{.State.Running}} {{.State.Health.Status}}", id)).toBe("true healthy");
    expect(restarted.exitCode).toBeUndefined();
    expect(restarted.ports?.[0]?.external).toBeGreaterThan(0);
    expect((await containerHandler.read(id, restarted, inputs, ctx("ctr")))?.inputs.mustRun).toBe(true);

    await containerHandler.delete(id, restarted, inputs, ctx("ctr"));
    expect(exists("container", id)).toBe(false);
    expect(await containerHandler.read(id, restarted, inputs, ctx("ctr"))).toBeUndefined();
    await expect(containerHandler.delete(id, restarted, inputs, ctx("ctr"))).resolves.toBeUndefined();
  });

  it("fails create when the health check never passes, leaving the container for the state", async () => {
    const name = `${prefix}-unhealthy`;
    const inputs = checked(containerHandler, {
      name,
      image: localImages.base,
      command: ["sleep", "300"],
      healthcheck: { tests: ["CMD", "false"], interval: "1s" },
      wait: true,
      waitTimeout: 5,
      labels: [runLabel],
    });
    const started = Date.now();
    const error = await containerHandler.create(inputs, ctx("unhealthy")).then(
      () => undefined,
      (e: unknown) => e,
    );
    try {
      expect(error).toBeInstanceOf(ResourceInitError);
      const initError = error as ResourceInitError;
      expect(initError.message).toContain("healthy");
      expect(initError.message).toContain(name);
      expect(initError.id).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(docker("inspect", "--format", "{{.Name}} {{.State.Running}}", initError.id)).toBe(`/${name} true`);
      expect(initError.state).toHaveProperty("hostname");
    } finally {
      if (error instanceof ResourceInitError) sh("docker", ["rm", "-fv", error.id]);
    }
    expect(exists("container", name)).toBe(false);
  });
});
