import type { PluginDefinition } from "../core/server.js";
import { sdkPluginVersion } from "../core/versions.js";
import { containerHandler } from "./container.js";
import { connectDocker, type DockerSession } from "./engine.js";
import { imageHandler } from "./image.js";
import { networkHandler } from "./network.js";
import { remoteImageHandler } from "./remoteImage.js";
import { volumeHandler } from "./volume.js";

/**
 * The offline `docker` plugin: the program's five Docker resources on the local engine
 * (DOCKER_HOST honoured). Provider configuration (host, registry auth) is the official plugin's.
 */
export const dockerPlugin: PluginDefinition<DockerSession> = {
  name: "docker",
  version: sdkPluginVersion("docker"),
  configKeys: [],
  configure: () => connectDocker(),
  resources: [networkHandler, volumeHandler, remoteImageHandler, imageHandler, containerHandler],
};
