import type { PluginDefinition } from "../core/server.js";
import { sdkPluginVersion } from "../core/versions.js";
import { randomPasswordHandler } from "./randomPassword.js";

/** The offline `random` plugin: RandomPassword only (the program's one random resource). */
export const randomPlugin: PluginDefinition<unknown> = {
  name: "random",
  version: sdkPluginVersion("random"),
  configKeys: [],
  configure: () => ({}),
  resources: [randomPasswordHandler],
};
