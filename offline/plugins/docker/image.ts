/**
 * docker:index/image:Image: an image built from a Dockerfile by the engine (local only: skipPush).
 * As with the official resource, `repoDigest` of a local image is its image id, so containers that
 * run it are replaced when a build gives a new image and kept when it gives the same one. The build
 * context's digest (the official provider's: buildContext.ts) is recorded in `check`, so
 * an unchanged context builds nothing (build arguments and platform are inputs of their own).
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import type { CheckFailure, PropertyRules, ResourceHandler } from "../core/resource.js";
import { containsUnknown } from "../core/properties.js";
import { contextDigest, contextFiles, contextTar } from "./buildContext.js";
import type { DockerSession } from "./engine.js";

type Build = pulumi.Unwrap<docker.types.input.DockerBuild> & { contextDigest?: string };
export type ImageInputs = Omit<pulumi.Unwrap<docker.ImageArgs>, "build"> & { build?: Build };

// As the official resource, every change is an update: the image is built again under the same id.
export const IMAGE_RULES: PropertyRules<ImageInputs> = {
  imageName: "update",
  build: "update",
  skipPush: "update",
  buildOnPreview: "update",
};
/** The build settings implemented; contextDigest is the plugin's own record of the context. */
export const IMAGE_BUILD_KEYS = ["context", "dockerfile", "args", "platform", "contextDigest"] as const;

interface ImageState {
  /** The checked inputs, kept secret in the outputs as the official resource keeps them (its diff reads them). */
  __inputs?: ImageInputs;
  imageName: string;
  repoDigest: string;
  baseImageName: string;
  registryServer: string;
  context: string;
  dockerfile: string;
  platform?: string;
}

function buildPaths(build: Build): { context: string; dockerfile: string } {
  const context = path.resolve(build.context ?? ".");
  const dockerfile = path.resolve(context, build.dockerfile ?? "Dockerfile");
  return { context, dockerfile };
}

export function validateImage(inputs: ImageInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (inputs.skipPush !== true && !containsUnknown(inputs.skipPush))
    failures.push({
      property: "skipPush",
      reason:
        "pushing to a registry is not implemented by ConfRadar's offline docker plugin: set skipPush: true, or install the official docker plugin",
    });
  if (inputs.buildOnPreview === true)
    failures.push({
      property: "buildOnPreview",
      reason:
        "building during preview is not implemented by ConfRadar's offline docker plugin: leave buildOnPreview false, or install the official docker plugin",
    });
  for (const key of Object.keys(inputs.build ?? {}))
    if (!(IMAGE_BUILD_KEYS as readonly string[]).includes(key))
      failures.push({
        property: `build.${key}`,
        reason: `build.${key} is not implemented by ConfRadar's offline docker plugin: remove it, or install the official docker plugin`,
      });
  return failures;
}

/** Adds the context digest to the build settings (reads the context: done once, in `check`). */
export function withContextDigest(inputs: ImageInputs): ImageInputs {
  if (!inputs.build || containsUnknown(inputs.build)) return inputs;
  const { context, dockerfile } = buildPaths(inputs.build);
  const digest = contextDigest(context, dockerfile, contextFiles(context, dockerfile));
  return { ...inputs, build: { ...inputs.build, contextDigest: digest } };
}

async function build(session: DockerSession, inputs: ImageInputs): Promise<ImageState> {
  const settings = inputs.build ?? {};
  const { context, dockerfile } = buildPaths(settings);
  const relativeDockerfile = path.relative(context, dockerfile).split(path.sep).join("/");
  const files = contextFiles(context, dockerfile);
  const stream = await session.docker.buildImage(contextTar(context, files, dockerfile), {
    t: inputs.imageName,
    dockerfile: relativeDockerfile,
    buildargs: settings.args ?? {},
    ...(settings.platform ? { platform: settings.platform } : {}),
    rm: true,
    forcerm: true,
  });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) =>
    session.docker.modem.followProgress(
      stream,
      (error: Error | null, events: { error?: string }[]) => {
        const failed = error?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(new Error(`docker build of ${inputs.imageName} failed: ${failed}\n${log.slice(-30).join("")}`));
        else resolve();
      },
      (event: { stream?: string }) => {
        if (event.stream) log.push(event.stream);
      },
    ),
  );
  const info = await session.docker.getImage(inputs.imageName).inspect();
  return {
    imageName: inputs.imageName,
    repoDigest: info.Id,
    baseImageName: inputs.imageName,
    registryServer: "",
    context: settings.context ?? ".",
    dockerfile: relativeDockerfile,
    ...(settings.platform ? { platform: settings.platform } : {}),
  };
}

export const imageHandler: ResourceHandler<ImageInputs, ImageState, DockerSession> = {
  token: "docker:index/image:Image",
  rules: IMAGE_RULES,
  secretOutputs: ["__inputs"],
  prepare: withContextDigest,
  validate: validateImage,
  async create(inputs, { session }) {
    const state = await build(session, inputs);
    // The official id of a local image is its name; repoDigest (the image id) tells builds apart.
    return { id: inputs.imageName, state: { ...state, __inputs: inputs } };
  },
  async read(id, state, inputs) {
    // As the official resource: the state as it is (an image removed by hand is built again only
    // when its context changes).
    return { id, state: { ...state, __inputs: inputs }, inputs };
  },
  async update(_id, _state, news, _olds, { session }) {
    return { ...(await build(session, news)), __inputs: news };
  },
  async delete() {
    // Like the official resource, the built image stays on the engine (a later build reuses its
    // layers); `docker image prune` removes superseded ones.
  },
};
