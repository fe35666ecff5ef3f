import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  buildOfflineEnv,
  cliInstallRoot,
  defaultBackendUrl,
  fileBackendDir,
  OFFLINE_SWITCHES,
} from "../../scripts/pulumi/offline-env.js";
import { missingPluginHint } from "../../scripts/pulumi/pulumi.js";

const root = "/srv/confradar";

describe("buildOfflineEnv", () => {
  it("forces the no-download switches on, even when the caller's environment turns them off", () => {
    const env = buildOfflineEnv(
      { PULUMI_SKIP_UPDATE_CHECK: "false", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "0" },
      {},
      root,
    );
    expect(env.PULUMI_SKIP_UPDATE_CHECK).toBe("true");
    expect(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION).toBe("true");
    expect(env.PULUMI_DISABLE_REGISTRY_RESOLVE).toBe("true");
    expect(Object.keys(OFFLINE_SWITCHES).every((k) => env[k] === "true")).toBe(true);
  });

  it("defaults the backend to <repo>/.pulumi-state as a file URL", () => {
    const env = buildOfflineEnv({}, {}, root);
    expect(env.PULUMI_BACKEND_URL).toBe(pathToFileURL(path.join(root, ".pulumi-state")).href);
    expect(env.PULUMI_BACKEND_URL).toBe(defaultBackendUrl(root));
  });

  it("keeps a backend the user set, and passes PULUMI_HOME and other variables through", () => {
    const env = buildOfflineEnv({ PULUMI_BACKEND_URL: "file:///var/state", PULUMI_HOME: "/opt/pulumi", PATH: "/bin" }, {}, root);
    expect(env.PULUMI_BACKEND_URL).toBe("file:///var/state");
    expect(env.PULUMI_HOME).toBe("/opt/pulumi");
    expect(env.PATH).toBe("/bin");
  });

  it("applies overrides last, and an undefined override removes the variable", () => {
    const env = buildOfflineEnv(
      { PULUMI_CONFIG_PASSPHRASE: "old", KEEP: "1" },
      { PULUMI_CONFIG_PASSPHRASE: "new", KEEP: undefined },
      root,
    );
    expect(env.PULUMI_CONFIG_PASSPHRASE).toBe("new");
    expect("KEEP" in env).toBe(false);
  });

  it("does not change the environment it was given", () => {
    const base = { PATH: "/bin" };
    buildOfflineEnv(base, { X: "1" }, root);
    expect(base).toEqual({ PATH: "/bin" });
  });
});

describe("fileBackendDir", () => {
  it("turns file URLs into directories and ignores other backends", () => {
    expect(fileBackendDir("file:///var/state")).toBe("/var/state");
    expect(fileBackendDir("s3://bucket/state")).toBeUndefined();
    expect(fileBackendDir("https://api.pulumi.com")).toBeUndefined();
  });
});

describe("cliInstallRoot", () => {
  it("is where the npm launcher looks: $PULUMI_HOME/versions/VERSION, without a v prefix", () => {
    expect(cliInstallRoot("3.259.0", { PULUMI_HOME: "/opt/pulumi" })).toBe("/opt/pulumi/versions/3.259.0");
  });
});

describe("missingPluginHint", () => {
  it("names the missing plugin and how to run the offline ones", () => {
    const hint = missingPluginHint(
      "error: no resource plugin 'pulumi-resource-docker' found in the workspace at version v5.2.0 or on your $PATH",
    );
    expect(hint).toContain("docker v5.2.0");
    expect(hint).toContain("CONFRADAR_PLUGINS=offline");
  });

  it("says nothing for other failures", () => {
    expect(missingPluginHint("error: update failed")).toBeUndefined();
  });
});
