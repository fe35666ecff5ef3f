// The offline plugins' gRPC service as the engine calls it, with the engine's own request
// messages (the stubs in @pulumi/pulumi) and no network: check refuses what is not implemented and
// keeps secrets secret, diff reports replacements with a detailed diff, configure takes settings.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { PluginServer } from "../../offline/plugins/core/server.js";
import { SECRET_SIG, SIG_KEY } from "../../offline/plugins/core/properties.js";
import { dockerPlugin } from "../../offline/plugins/docker/plugin.js";
import { postgresqlPlugin } from "../../offline/plugins/postgresql/plugin.js";
import { randomPlugin } from "../../offline/plugins/random/plugin.js";

const require = createRequire(import.meta.url);
const provproto = require("@pulumi/pulumi/proto/provider_pb.js") as typeof import("@pulumi/pulumi/proto/provider_pb.js");
const { Struct } =
  require("google-protobuf/google/protobuf/struct_pb.js") as typeof import("google-protobuf/google/protobuf/struct_pb.js");

const urn = (type: string, name: string) => `urn:pulumi:ci::confradar::confradar:app:AppService$${type}::${name}`;
const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

type Method = (call: { request: unknown }, callback: (error: unknown, value?: unknown) => void) => void;

async function call<T>(server: PluginServer<unknown>, method: string, request: unknown): Promise<T> {
  const service = server.service() as unknown as Record<string, Method>;
  return await new Promise<T>((resolve, reject) =>
    service[method]!({ request }, (error, value) => (error ? reject(error as Error) : resolve(value as T))),
  );
}

function checkRequest(type: string, news: Record<string, unknown>) {
  const request = new provproto.CheckRequest();
  request.setUrn(urn(type, "x"));
  request.setNews(Struct.fromJavaScript(news as never));
  request.setOlds(Struct.fromJavaScript({}));
  return request;
}

describe("the plugin server", () => {
  it("refuses a property it does not implement, naming it and the official plugin", async () => {
    const server = new PluginServer(dockerPlugin);
    const response = await call<InstanceType<typeof provproto.CheckResponse>>(
      server as never,
      "check",
      checkRequest("docker:index/container:Container", { image: "busybox", privileged: true }),
    );
    const failures = response.getFailuresList().map((f) => [f.getProperty(), f.getReason()]);
    expect(failures).toHaveLength(1);
    expect(failures[0]![0]).toBe("privileged");
    expect(failures[0]![1]).toMatch(
      /"privileged" is not implemented by ConfRadar's offline docker plugin.*official docker plugin/,
    );
  });

  it("keeps a secret input secret through check, with the provider's defaults filled in", async () => {
    const server = new PluginServer(dockerPlugin);
    const response = await call<InstanceType<typeof provproto.CheckResponse>>(
      server as never,
      "check",
      checkRequest("docker:index/container:Container", { image: "busybox", envs: secret(["PASSWORD=hunter2"]) }),
    );
    expect(response.getFailuresList()).toEqual([]);
    const inputs = response.getInputs()!.toJavaScript() as Record<string, unknown>;
    expect(inputs.envs).toEqual(secret(["PASSWORD=hunter2"]));
    expect(inputs.restart).toBe("no");
    expect(inputs.mustRun).toBe(true);
  });

  it("answers a replacement with a detailed diff and delete-before-replace for containers", async () => {
    const server = new PluginServer(dockerPlugin);
    const request = new provproto.DiffRequest();
    request.setUrn(urn("docker:index/container:Container", "api"));
    request.setId("abc");
    request.setOldInputs(Struct.fromJavaScript({ image: "a", restart: "no" }));
    request.setOlds(Struct.fromJavaScript({ image: "a", restart: "no" }));
    request.setNews(Struct.fromJavaScript({ image: "b", restart: "always" }));
    const response = await call<InstanceType<typeof provproto.DiffResponse>>(server as never, "diff", request);
    expect(response.getChanges()).toBe(provproto.DiffResponse.DiffChanges.DIFF_SOME);
    expect(response.getReplacesList()).toEqual(["image"]);
    expect(response.getDeletebeforereplace()).toBe(true);
    const detailed = response.getDetaileddiffMap();
    expect(detailed.getLength()).toBe(2);
    expect(detailed.get("image")?.getKind()).toBe(provproto.PropertyDiff.Kind.UPDATE_REPLACE);
    expect(detailed.get("restart")?.getKind()).toBe(provproto.PropertyDiff.Kind.UPDATE);
  });

  it("reports no change when only the official provider's recorded defaults differ", async () => {
    const server = new PluginServer(randomPlugin);
    const request = new provproto.DiffRequest();
    request.setUrn(urn("random:index/randomPassword:RandomPassword", "pw"));
    request.setId("none");
    // What the official provider records: every default written out, plus its own bookkeeping.
    request.setOldInputs(
      Struct.fromJavaScript({
        length: 32,
        special: false,
        upper: true,
        lower: true,
        minUpper: 0,
        __defaults: ["upper"],
      } as never),
    );
    request.setNews(Struct.fromJavaScript({ length: 32, special: false }));
    const response = await call<InstanceType<typeof provproto.DiffResponse>>(server as never, "diff", request);
    expect(response.getChanges()).toBe(provproto.DiffResponse.DiffChanges.DIFF_NONE);
  });

  it("refuses a provider setting it does not implement, and a bad sslmode, at configure", async () => {
    const server = new PluginServer(postgresqlPlugin);
    const request = new provproto.ConfigureRequest();
    request.setArgs(Struct.fromJavaScript({ host: "127.0.0.1", port: "5432", sslmode: "sometimes", awsRdsIamAuth: "true" }));
    await expect(call(server as never, "configure", request)).rejects.toMatchObject({
      details: expect.stringMatching(/postgresql:awsRdsIamAuth is not implemented.*postgresql:sslmode must be one of/),
    });
  });
});
