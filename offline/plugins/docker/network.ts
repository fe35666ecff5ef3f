/**
 * docker:index/network:Network: a bridge network. Docker cannot change a network in place, so every
 * implemented property replaces it (as the official provider, where each is ForceNew).
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { PropertyRules, ResourceHandler } from "../core/resource.js";
import { type DockerSession, labelsFromMap, labelsToMap, sortedLabels, unlessNotFound } from "./engine.js";

export type NetworkInputs = pulumi.Unwrap<docker.NetworkArgs>;

export const NETWORK_RULES: PropertyRules<NetworkInputs> = { name: "replace", labels: "replace" };

interface NetworkState {
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  ipv6: boolean;
  ipamDriver: string;
  options: Record<string, string>;
}

function stateOf(info: {
  Name: string;
  Driver: string;
  Scope: string;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  EnableIPv6: boolean;
  IPAM?: { Driver?: string };
  Options?: Record<string, string>;
}): NetworkState {
  return {
    name: info.Name,
    driver: info.Driver,
    scope: info.Scope,
    internal: info.Internal,
    attachable: info.Attachable,
    ingress: info.Ingress,
    ipv6: info.EnableIPv6,
    ipamDriver: info.IPAM?.Driver ?? "default",
    options: info.Options ?? {},
  };
}

export const networkHandler: ResourceHandler<NetworkInputs, NetworkState, DockerSession> = {
  token: "docker:index/network:Network",
  rules: NETWORK_RULES,
  unordered: ["labels"],
  withDefaults: (inputs) => ({ ...inputs, labels: sortedLabels(inputs.labels) }),
  async create(inputs, { session }) {
    const created: { id: string } = await session.docker.createNetwork({
      Name: inputs.name ?? "",
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: labelsToMap(inputs.labels),
    });
    const info = await session.docker.getNetwork(created.id).inspect();
    return { id: created.id, state: stateOf(info) };
  },
  async read(id, _state, inputs, { session }) {
    const info = await unlessNotFound(() => session.docker.getNetwork(id).inspect());
    if (!info) return undefined;
    return { id, state: stateOf(info), inputs: { ...inputs, name: info.Name, labels: labelsFromMap(info.Labels) } };
  },
  async delete(id, _state, _inputs, { session }) {
    await unlessNotFound(() => session.docker.getNetwork(id).remove());
  },
};
