import * as pulumi from "@pulumi/pulumi";

/** One resource the program registered, as the mocks saw it. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  opts: { retainOnDelete: boolean; deleteBeforeReplace: boolean };
  /** URNs of the resources each input property waits for. */
  propertyDependencies: Record<string, string[]>;
  /** URNs of every resource it waits for: its inputs' and its `dependsOn` (components expanded). */
  dependencies: string[];
}

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  secretOutputs: Set<string>;
  byType(type: string): RecordedResource[];
  one(type: string, nameSuffix: string): RecordedResource;
}

/** The program threw; carries what it had registered by then. */
export class ProgramError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly resources: RecordedResource[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Runs infra/index.ts under Pulumi mocks with the given stack and config, and records every
 * resource with its inputs and options. Vitest gives each test file its own module graph, so one
 * run per file sees the program read its config afresh.
 */
export async function runProgram(
  stack: string,
  config: Record<string, string>,
  /** Keys set with `--secret` (without the namespace). */
  secretKeys: string[] = [],
): Promise<ProgramRun> {
  const resources: RecordedResource[] = [];
  let nextPort = 49_200;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const recorded = resources.findLast((r) => r.type === args.type && r.name === args.name);
        if (recorded) recorded.inputs = args.inputs;
        const state: Record<string, any> = { ...args.inputs };
        if (args.type === "docker:index/container:Container" && Array.isArray(state.ports)) {
          state.ports = state.ports.map((p: any) => ({ ...p, external: p.external ?? nextPort++ }));
        }
        if (args.type === "random:index/randomPassword:RandomPassword") state.result = `mock-password-${args.name}`;
        if (args.type === "docker:index/image:Image") state.repoDigest = `sha256:mock-${args.name}`;
        if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:mock-${args.name}`;
        if (args.type.endsWith(":ExistingServerCheck")) state.serverVersion = "16.4";
        else if (args.type.startsWith("pulumi-nodejs:")) {
          state.applied = state.migrationNames ?? [];
          state.serverVersion = "16.0";
          state.foundMajorVersion = 0;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        throw new Error(`unexpected provider function call in the program: ${args.token}`);
      },
    },
    "confradar",
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([k, v]) => [`confradar:${k}`, v])),
    secretKeys.map((k) => `confradar:${k}`),
  );
  // The mocks see no resource options, so read the ones we assert on from the monitor's requests.
  const monitor = (pulumi.runtime as any).getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: unknown) => {
    resources.push({
      type: req.getType(),
      name: req.getName(),
      inputs: {},
      opts: { retainOnDelete: req.getRetainondelete(), deleteBeforeReplace: req.getDeletebeforereplace() },
      propertyDependencies: Object.fromEntries(
        [...req.getPropertydependenciesMap().entries()].map(([key, deps]: [string, any]) => [key, deps.getUrnsList()]),
      ),
      dependencies: req.getDependenciesList(),
    });
    return register(req, callback);
  };
  let program: Record<string, unknown>;
  try {
    program = await import("../../infra/index.js");
  } catch (error) {
    throw new ProgramError(error, resources);
  }
  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [key, value] of Object.entries(program)) {
    if (pulumi.Output.isInstance(value)) {
      const output = value as pulumi.Output<unknown>;
      if (await pulumi.isSecret(output)) secretOutputs.add(key);
      outputs[key] = await new Promise((resolve) => output.apply(resolve));
    } else {
      outputs[key] = value;
    }
  }
  // Let every registration settle so resources created inside apply() are recorded too.
  await new Promise((r) => setTimeout(r, 50));
  return {
    resources,
    outputs,
    secretOutputs,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, nameSuffix) {
      const found = resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
      if (found.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${found.length}`);
      return found[0]!;
    },
  };
}

/** Inputs as the mocks see them: secrets arrive wrapped; unwrap them for assertions. */
export function plain<T = any>(value: unknown): T {
  if (Array.isArray(value)) return value.map((v) => plain(v)) as T;
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return plain(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)])) as T;
  }
  return value as T;
}
