/**
 * docker:index/remoteImage:RemoteImage: an image by name. Used as it is when the engine has it
 * (a locally built image counts), pulled otherwise; the pull's error is the engine's own, with
 * what to do on a machine that reaches no registry.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { PropertyRules, ResourceHandler } from "../core/resource.js";
import { type DockerSession, engineMessage, pullImage, unlessNotFound } from "./engine.js";

export type RemoteImageInputs = pulumi.Unwrap<docker.RemoteImageArgs>;

export const REMOTE_IMAGE_RULES: PropertyRules<RemoteImageInputs> = { name: "replace", keepLocally: "update" };

interface RemoteImageState {
  imageId: string;
  repoDigest: string;
}

async function inspectImage(session: DockerSession, name: string): Promise<RemoteImageState | undefined> {
  const info = await unlessNotFound(() => session.docker.getImage(name).inspect());
  if (!info) return undefined;
  return { imageId: info.Id, repoDigest: info.RepoDigests?.[0] ?? "" };
}

export const remoteImageHandler: ResourceHandler<RemoteImageInputs, RemoteImageState, DockerSession> = {
  token: "docker:index/remoteImage:RemoteImage",
  rules: REMOTE_IMAGE_RULES,
  async create(inputs, { session }) {
    let state = await inspectImage(session, inputs.name);
    if (!state) {
      try {
        await pullImage(session, inputs.name);
      } catch (error) {
        throw new Error(
          `image ${inputs.name} is not on this Docker engine and could not be pulled (${engineMessage(error)}). ` +
            `Without a registry, build the local images (\`bash scripts/images/build\`) and run with CONFRADAR_IMAGES=local.`,
        );
      }
      state = await inspectImage(session, inputs.name);
      if (!state) throw new Error(`image ${inputs.name} was pulled but the engine does not list it`);
    }
    // The official id: the image id followed by the name.
    return { id: `${state.imageId}${inputs.name}`, state };
  },
  async read(id, _state, inputs, { session }) {
    const state = await inspectImage(session, inputs.name);
    if (!state) return undefined;
    return { id, state, inputs };
  },
  async update(_id, state) {
    // keepLocally only matters on delete.
    return state;
  },
  async delete(_id, state, inputs, { session }) {
    if (inputs.keepLocally) return;
    try {
      await unlessNotFound(() => session.docker.getImage(state.imageId).remove());
    } catch (error) {
      // An image another container still uses stays, as with the official provider's non-forced remove.
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
  },
};
