/**
 * docker:index/volume:Volume: a named local volume. Like the official provider, any change replaces
 * it; `retainOnDelete` (the engine's option) keeps the dev data volume on destroy.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { PropertyRules, ResourceHandler } from "../core/resource.js";
import { type DockerSession, labelsFromMap, labelsToMap, sortedLabels, unlessNotFound } from "./engine.js";

export type VolumeInputs = pulumi.Unwrap<docker.VolumeArgs>;

export const VOLUME_RULES: PropertyRules<VolumeInputs> = { name: "replace", labels: "replace" };

interface VolumeState {
  name: string;
  driver: string;
  mountpoint: string;
  driverOpts: Record<string, string>;
}

export const volumeHandler: ResourceHandler<VolumeInputs, VolumeState, DockerSession> = {
  token: "docker:index/volume:Volume",
  rules: VOLUME_RULES,
  unordered: ["labels"],
  withDefaults: (inputs) => ({ ...inputs, labels: sortedLabels(inputs.labels) }),
  async create(inputs, { session }) {
    // Creating a volume that exists returns it unchanged (the engine's rule): a kept dev volume is
    // adopted by the next `up`, which is how its data survive `destroy`.
    await session.docker.createVolume({ Name: inputs.name, Labels: labelsToMap(inputs.labels) });
    const info = await session.docker.getVolume(inputs.name!).inspect();
    return {
      id: info.Name,
      state: {
        name: info.Name,
        driver: info.Driver,
        mountpoint: info.Mountpoint,
        driverOpts: (info.Options as Record<string, string>) ?? {},
      },
    };
  },
  async read(id, _state, inputs, { session }) {
    const info = await unlessNotFound(() => session.docker.getVolume(id).inspect());
    if (!info) return undefined;
    return {
      id,
      state: {
        name: info.Name,
        driver: info.Driver,
        mountpoint: info.Mountpoint,
        driverOpts: (info.Options as Record<string, string>) ?? {},
      },
      inputs: { ...inputs, name: info.Name, labels: labelsFromMap(info.Labels) },
    };
  },
  async delete(id, _state, _inputs, { session }) {
    await unlessNotFound(() => session.docker.getVolume(id).remove());
  },
};
