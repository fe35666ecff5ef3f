/**
 * A Pulumi resource provider plugin over gRPC, as the engine starts any plugin: it runs the
 * executable, reads the port from its first line of stdout and calls the ResourceProvider service.
 * Written on the generated stubs that ship in @pulumi/pulumi; @pulumi/pulumi/provider's own server
 * drops Configure's variables, detailed diffs and delete-before-replace answers that these need.
 */
import * as grpc from "@grpc/grpc-js";
import { createRequire } from "node:module";
import { concealProperties, type PlainObject, revealProperties, withoutBookkeeping } from "./properties.js";
import {
  type AnyResourceHandler,
  type CheckFailure,
  diffInputs,
  implementedInputs,
  type OperationContext,
  ResourceInitError,
  unimplementedProperties,
} from "./resource.js";

const require = createRequire(import.meta.url);
// The stubs are CommonJS modules that extend `exports` at run time: require them, type them by import.
const provproto = require("@pulumi/pulumi/proto/provider_pb.js") as typeof import("@pulumi/pulumi/proto/provider_pb.js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb.js") as typeof import("@pulumi/pulumi/proto/provider_grpc_pb.js");
const plugproto = require("@pulumi/pulumi/proto/plugin_pb.js") as typeof import("@pulumi/pulumi/proto/plugin_pb.js");
const statusproto = require("@pulumi/pulumi/proto/status_pb.js") as typeof import("@pulumi/pulumi/proto/status_pb.js");
const structproto =
  require("google-protobuf/google/protobuf/struct_pb.js") as typeof import("google-protobuf/google/protobuf/struct_pb.js");
const emptyproto =
  require("google-protobuf/google/protobuf/empty_pb.js") as typeof import("google-protobuf/google/protobuf/empty_pb.js");
const anyproto =
  require("google-protobuf/google/protobuf/any_pb.js") as typeof import("google-protobuf/google/protobuf/any_pb.js");

export interface PluginDefinition<Session> {
  /** The plugin's name, as the official one: docker, postgresql, random. */
  readonly name: string;
  /** The version it answers for: the one the SDK in node_modules asks for. */
  readonly version: string;
  /** Provider configuration keys it implements (besides `version`, which the SDK always sends). */
  readonly configKeys: readonly string[];
  /** Configuration keys that are secrets (the provider keeps them secret in the state). */
  readonly secretConfigKeys?: readonly string[];
  /** Checks the provider configuration's values. Unknown values (preview) are skipped. */
  validateConfig?(config: PlainObject): string[];
  /** A session from the configuration; nothing may connect until a resource operation needs it. */
  configure(config: PlainObject): Session;
  readonly resources: readonly AnyResourceHandler<Session>[];
}

export function officialPluginHint(plugin: string): string {
  return `install the official ${plugin} plugin to use it (docs/offline.md, "Choosing the plugins")`;
}

function struct(values: PlainObject): InstanceType<typeof structproto.Struct> {
  return structproto.Struct.fromJavaScript(values as Record<string, never>);
}

function typeOfUrn(urn: string): string {
  // urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

function nameOfUrn(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

type Callback = (error: grpc.ServiceError | Partial<grpc.StatusObject> | null, value?: unknown) => void;
// The generated request classes differ per method; each handler below calls the getters it needs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Request = any;
type Call = { request: Request };

function failure(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof ResourceInitError) {
    // The object exists: the engine records it (with this id) and reports the reason.
    const detail = new provproto.ErrorResourceInitFailed();
    detail.setId(error.id);
    detail.setProperties(struct(error.state));
    detail.setReasonsList([error.message]);
    const packed = new anyproto.Any();
    packed.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new statusproto.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(error.message);
    status.addDetails(packed);
    const metadata = new grpc.Metadata();
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    return { code: grpc.status.UNKNOWN, details: error.message, metadata };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpc.status.UNKNOWN, details: message };
}

/** Coerces provider configuration strings ("5432", "true") to the types the keys have. */
function configValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (value === "true" || value === "false") return value === "true";
  if (/^-?\d+$/.test(value)) return Number(value);
  return value;
}

/** Provider configuration from the wire: secrets revealed, strings coerced (configValue). */
function configValues(wire: PlainObject | undefined): PlainObject {
  return Object.fromEntries(Object.entries(revealProperties(wire).values).map(([key, value]) => [key, configValue(value)]));
}

function checkFailures(failures: CheckFailure[]): InstanceType<typeof provproto.CheckFailure>[] {
  return failures.map((f) => {
    const item = new provproto.CheckFailure();
    item.setProperty(f.property);
    item.setReason(f.reason);
    return item;
  });
}

function diffChanges(changed: string[]) {
  return changed.length > 0 ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE;
}

export class PluginServer<Session> {
  private session: Session | undefined;
  private readonly handlers: Map<string, AnyResourceHandler<Session>>;

  constructor(private readonly plugin: PluginDefinition<Session>) {
    this.handlers = new Map(plugin.resources.map((handler) => [handler.token, handler]));
  }

  private handler(urn: string): AnyResourceHandler<Session> {
    const type = typeOfUrn(urn);
    const handler = this.handlers.get(type);
    if (!handler)
      throw new Error(
        `${type} is not implemented by ConfRadar's offline ${this.plugin.name} plugin: ${officialPluginHint(this.plugin.name)}`,
      );
    return handler;
  }

  private context(urn: string, timeoutSeconds = 0): OperationContext<Session> {
    if (this.session === undefined) this.session = this.plugin.configure({});
    return { urn, name: nameOfUrn(urn), timeoutSeconds, session: this.session };
  }

  private checkConfigValues(news: PlainObject): string[] {
    const problems: string[] = [];
    for (const key of Object.keys(news)) {
      if (key === "version" || key.startsWith("__")) continue;
      if (!this.plugin.configKeys.includes(key))
        problems.push(
          `${this.plugin.name}:${key} is not implemented by ConfRadar's offline ${this.plugin.name} plugin: ` +
            `remove it, or ${officialPluginHint(this.plugin.name)}`,
        );
    }
    return problems.concat(this.plugin.validateConfig?.(news) ?? []);
  }

  /** The gRPC service implementation; methods left out answer UNIMPLEMENTED. */
  service(): grpc.UntypedServiceImplementation {
    const unary = (body: (request: Request) => Promise<unknown>) => (call: Call, callback: Callback) => {
      body(call.request).then(
        (value) => callback(null, value),
        (error: unknown) => callback(failure(error)),
      );
    };

    return {
      getPluginInfo: unary(async () => {
        const info = new plugproto.PluginInfo();
        info.setVersion(this.plugin.version);
        return info;
      }),
      getSchema: unary(async () => {
        const response = new provproto.GetSchemaResponse();
        response.setSchema(JSON.stringify({ name: this.plugin.name, version: this.plugin.version }));
        return response;
      }),
      attach: unary(async () => new emptyproto.Empty()),
      cancel: unary(async () => new emptyproto.Empty()),

      checkConfig: unary(async (request) => {
        const response = new provproto.CheckResponse();
        response.setInputs(request.getNews() ?? struct({}));
        response.setFailuresList(
          checkFailures(
            this.checkConfigValues(configValues(request.getNews()?.toJavaScript())).map((reason) => ({ property: "", reason })),
          ),
        );
        return response;
      }),
      diffConfig: unary(async (request) => {
        // Connection settings change in place: the objects the provider manages stay where they are.
        const rules = Object.fromEntries(this.plugin.configKeys.map((k) => [k, "update" as const]));
        const diff = diffInputs(
          rules,
          configValues(request.getOldInputs()?.toJavaScript() ?? request.getOlds()?.toJavaScript()),
          configValues(request.getNews()?.toJavaScript()),
        );
        const response = new provproto.DiffResponse();
        response.setChanges(diffChanges(diff.changed));
        response.setDiffsList(diff.changed);
        return response;
      }),
      configure: unary(async (request) => {
        const fromArgs = request.getArgs()?.toJavaScript() as PlainObject | undefined;
        const raw: PlainObject = fromArgs ?? {};
        if (!fromArgs) {
          for (const [key, value] of request.getVariablesMap().entries() as Iterable<[string, string]>) {
            raw[key.replace(/^[^:]+:config:/, "")] = value;
          }
        }
        const config = configValues(raw);
        const problems = this.checkConfigValues(config);
        if (problems.length > 0) throw new Error(problems.join("; "));
        this.session = this.plugin.configure(config);
        const response = new provproto.ConfigureResponse();
        response.setAcceptsecrets(true);
        // Previews use the inputs as outputs (the engine's behaviour for providers without preview).
        response.setSupportspreview(false);
        response.setAcceptresources(false);
        response.setAcceptoutputs(false);
        return response;
      }),

      check: unary(async (request) => {
        const urn: string = request.getUrn();
        const handler = this.handler(urn);
        const { values, secretKeys } = revealProperties(request.getNews()?.toJavaScript());
        const failures = unimplementedProperties(handler.rules, values).map((property) => ({
          property,
          reason:
            `${typeOfUrn(urn)} property "${property}" is not implemented by ConfRadar's offline ${this.plugin.name} plugin: ` +
            `remove it, or ${officialPluginHint(this.plugin.name)}`,
        }));
        const inputs = implementedInputs(handler.rules, values);
        const defaulted = handler.withDefaults ? handler.withDefaults(inputs) : inputs;
        const checked = handler.prepare ? handler.prepare(defaulted) : defaulted;
        failures.push(...(handler.validate?.(checked) ?? []));
        const response = new provproto.CheckResponse();
        response.setInputs(struct(concealProperties(checked, secretKeys)));
        response.setFailuresList(checkFailures(failures));
        return response;
      }),

      diff: unary(async (request) => {
        const handler = this.handler(request.getUrn());
        const oldInputs = request.getOldInputs()?.toJavaScript();
        const olds = implementedInputs(
          handler.rules,
          withoutBookkeeping(
            revealProperties(oldInputs && Object.keys(oldInputs).length > 0 ? oldInputs : request.getOlds()?.toJavaScript())
              .values,
          ) as PlainObject,
        );
        const news = withoutBookkeeping(revealProperties(request.getNews()?.toJavaScript()).values) as PlainObject;
        const withDefaults = handler.withDefaults ?? ((inputs: PlainObject) => inputs);
        const diff = diffInputs(
          handler.rules,
          withDefaults(olds),
          withDefaults(implementedInputs(handler.rules, news)),
          handler.unordered,
        );
        const response = new provproto.DiffResponse();
        response.setChanges(diffChanges(diff.changed));
        response.setDiffsList(diff.changed);
        response.setReplacesList(diff.replaces);
        response.setDeletebeforereplace(Boolean(handler.deleteBeforeReplace) && diff.replaces.length > 0);
        response.setHasdetaileddiff(true);
        const detailed = response.getDetaileddiffMap();
        for (const [key, kind] of Object.entries(diff.detailed)) {
          const item = new provproto.PropertyDiff();
          item.setKind(kind);
          item.setInputdiff(true);
          detailed.set(key, item);
        }
        return response;
      }),

      create: unary(async (request) => {
        const urn: string = request.getUrn();
        const handler = this.handler(urn);
        const { values, secretKeys } = revealProperties(request.getProperties()?.toJavaScript());
        const ctx = this.context(urn, request.getTimeout());
        const { id, state } = await handler.create(values, ctx).catch((error: unknown) => {
          if (error instanceof ResourceInitError)
            throw new ResourceInitError(error.message, error.id, this.outputs(handler, values, error.state, secretKeys));
          throw error;
        });
        const response = new provproto.CreateResponse();
        response.setId(id);
        response.setProperties(struct(this.outputs(handler, values, state, secretKeys)));
        return response;
      }),

      read: unary(async (request) => {
        const urn: string = request.getUrn();
        const handler = this.handler(urn);
        const props = revealProperties(request.getProperties()?.toJavaScript());
        const inputs = revealProperties(request.getInputs()?.toJavaScript());
        const ctx = this.context(urn);
        const result = await handler.read(request.getId(), props.values, implementedInputs(handler.rules, inputs.values), ctx);
        const response = new provproto.ReadResponse();
        if (!result) {
          // An empty id tells the engine the object is gone: refresh drops it, the next `up` creates it.
          response.setId("");
          return response;
        }
        const secretKeys = new Set([...props.secretKeys, ...inputs.secretKeys]);
        // Outputs the state had and this plugin does not compute (the official provider's extra
        // attributes and schema version, after a switch of sets) are kept; the official provider's
        // raw-state delta is not, since the outputs it described have changed.
        const kept = Object.fromEntries(Object.entries(props.values).filter(([key]) => key !== "__pulumi_raw_state_delta"));
        response.setId(result.id);
        response.setProperties(struct(this.outputs(handler, { ...kept, ...result.inputs }, result.state, secretKeys)));
        response.setInputs(struct(concealProperties(result.inputs, inputs.secretKeys)));
        return response;
      }),

      update: unary(async (request) => {
        const urn: string = request.getUrn();
        const handler = this.handler(urn);
        if (!handler.update) throw new Error(`${typeOfUrn(urn)} has no in-place update: every change replaces it`);
        const olds = revealProperties(request.getOlds()?.toJavaScript());
        const oldInputs = revealProperties(request.getOldInputs()?.toJavaScript());
        const news = revealProperties(request.getNews()?.toJavaScript());
        const ctx = this.context(urn, request.getTimeout());
        const state = await handler.update(
          request.getId(),
          olds.values,
          news.values,
          implementedInputs(handler.rules, oldInputs.values),
          ctx,
        );
        const response = new provproto.UpdateResponse();
        response.setProperties(struct(this.outputs(handler, news.values, state, news.secretKeys)));
        return response;
      }),

      delete: unary(async (request) => {
        const urn: string = request.getUrn();
        const handler = this.handler(urn);
        const props = revealProperties(request.getProperties()?.toJavaScript());
        const inputs = revealProperties(request.getOldInputs()?.toJavaScript());
        await handler.delete(
          request.getId(),
          props.values,
          implementedInputs(handler.rules, inputs.values),
          this.context(urn, request.getTimeout()),
        );
        return new emptyproto.Empty();
      }),
    };
  }

  /** Outputs as the official provider shapes them: the inputs, then what the object reports. */
  private outputs(
    handler: AnyResourceHandler<Session>,
    inputs: PlainObject,
    state: PlainObject,
    secretInputKeys: Set<string>,
  ): PlainObject {
    return concealProperties({ ...inputs, ...state }, [...secretInputKeys, ...(handler.secretOutputs ?? [])]);
  }
}

/** Serves the plugin on a loopback port and prints the port, as the engine expects. */
export async function servePlugin<Session>(plugin: PluginDefinition<Session>): Promise<void> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(provrpc.ResourceProviderService, new PluginServer(plugin).service());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  process.stdout.write(`${port}\n`);
}
