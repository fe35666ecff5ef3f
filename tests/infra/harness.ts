import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";

/** One resource the program asked for, as its provider saw it. */
export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the provider receives them: secrets arrive wrapped (see `plain` and `isSecretInput`). */
  inputs: Record<string, any>;
  /** What `pulumi destroy` does with it, and whether a replacement removes it first. */
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** Its outputs, as its provider answered. */
  state?: Record<string, any>;
  /** Ticks of the run's clock: when the program asked for it, and when its provider answered. */
  requestedAt: number;
  answeredAt?: number;
  /** Answered late (see RunOptions.late). */
  late: boolean;
  /** What else was still unanswered when it was answered. */
  answeredBeside?: RecordedResource[];
}

export interface ProgramRun {
  /** Every resource the program asked for, components included, in the order it asked. */
  resources: RecordedResource[];
  /** The stack outputs, unwrapped. */
  outputs: Record<string, unknown>;
  secretOutputs: Set<string>;
  byType(type: string): RecordedResource[];
  one(type: string, nameSuffix: string): RecordedResource;
}

export interface RunOptions {
  /** Keys set with `--secret` (without the namespace). */
  secretKeys?: readonly string[];
  /**
   * Names or types of resources whose provider answers only once nothing but such resources is left
   * to answer, oldest first: what the program asks for after such an answer, it was holding back
   * for that resource (`waitedFor`).
   */
  late?: readonly string[];
}

/** The program threw; carries what it had asked for by then. */
export class ProgramError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly resources: RecordedResource[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** The value of an output, as an awaitable promise. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/**
 * What the providers compute (and the program reads back), as the mocks answer: every other
 * property is the input echoed. Distinct per resource, so a test can tell whose output reached where.
 */
function computedState(type: string, name: string, inputs: Record<string, any>, freePort: () => number): Record<string, unknown> {
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      return { result: `password-of-${name}` };
    case "docker:index/image:Image":
      return { repoDigest: `sha256:digest-of-${name}` };
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `sha256:image-of-${name}` };
    case "docker:index/container:Container":
      // Docker picks a free host port where the program leaves it out.
      return { ports: (inputs.ports ?? []).map((p: { external?: number }) => ({ ...p, external: p.external ?? freePort() })) };
    case "pulumi-nodejs:dynamic/confradar:MigrationStep":
      return { applied: inputs.migrationNames, serverVersion: `version-seen-by-${name}` };
    case "pulumi-nodejs:dynamic/confradar:ExistingServerCheck":
      return { serverVersion: `version-seen-by-${name}` };
    default:
      return {};
  }
}

/**
 * Runs infra/index.ts under Pulumi mocks with the given stack and config, as the engine would (inside
 * the root stack), and records every resource it asks for. Each run evaluates the program afresh.
 * A provider answers on a later turn of the event loop, so whatever the program can ask for while a
 * resource is being created, it has asked for by then: what overlaps, overlaps.
 */
export async function runProgram(stack: string, config: Record<string, string>, options: RunOptions = {}): Promise<ProgramRun> {
  const resources: RecordedResource[] = [];
  const resourceOptions = new Map<string, pulumi.CustomResourceOptions>();
  const unanswered: RecordedResource[] = [];
  let clock = 0;
  let nextPort = 49_200;
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        if (args.type === pulumi.runtime.rootPulumiStackTypeName) return { id: undefined, state: {} };
        const opts = resourceOptions.get(`${args.type}::${args.name}`) ?? {};
        const resource: RecordedResource = {
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          retainOnDelete: opts.retainOnDelete === true,
          deleteBeforeReplace: opts.deleteBeforeReplace === true,
          requestedAt: ++clock,
          late: options.late?.some((key) => key === args.name || key === args.type) === true,
        };
        resources.push(resource);
        unanswered.push(resource);
        await nextTurn();
        // Every request is answered on a turn of the event loop, after the program's pending
        // promise work: a late one on the first turn where only late ones are left, oldest first.
        if (resource.late) while (!(unanswered.every((r) => r.late) && unanswered[0] === resource)) await nextTurn();
        unanswered.splice(unanswered.indexOf(resource), 1);
        resource.answeredBeside = [...unanswered];
        resource.answeredAt = ++clock;
        const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs, () => nextPort++) };
        resource.state = state;
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
    (options.secretKeys ?? []).map((k) => `confradar:${k}`),
  );
  let program: Record<string, unknown> | undefined;
  let programError: unknown;
  // As the engine runs a program: inside the root stack, its exports the stack's outputs.
  await pulumi.runtime.runInPulumiStack(async () => {
    // Destroy and replace cannot happen under mocks: what they would do is read from the options.
    pulumi.runtime.registerStackTransformation(({ type, name, opts }) => {
      resourceOptions.set(`${type}::${name}`, opts);
      return undefined;
    });
    try {
      program = (await import("../../infra/index.js")) as Record<string, unknown>;
    } catch (error) {
      programError = error;
    }
    // The engine leaves undefined outputs out too.
    return Object.fromEntries(Object.entries(program ?? {}).filter(([, value]) => value !== undefined));
  });
  // Resolves once every registration has been answered: the runtime's RPC queue is drained.
  await pulumi.runtime.disconnect();
  // The next run evaluates the program and its modules afresh.
  vi.resetModules();
  if (!program) throw new ProgramError(programError, resources);

  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [key, value] of Object.entries(program)) {
    if (!pulumi.Output.isInstance(value)) {
      outputs[key] = value;
      continue;
    }
    const output = value as pulumi.Output<unknown>;
    if (await pulumi.isSecret(output)) secretOutputs.add(key);
    outputs[key] = await promiseOf(output);
  }
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

/**
 * True when the program asked for `later` only once `earlier` had been created. Sound when nothing
 * but late resources was left unanswered beside `earlier` (name it in RunOptions.late): by then the
 * program had asked for everything it could without them, and `later` came before the others.
 */
export function waitedFor(later: RecordedResource, earlier: RecordedResource): boolean {
  const beside = earlier.answeredBeside;
  if (!beside || beside.some((r) => !r.late))
    throw new Error(`${earlier.name} was answered while the program was busy: name it in \`late\` to tell what waits for it`);
  return later.requestedAt > earlier.answeredAt! && beside.every((r) => (r.answeredAt ?? Infinity) > later.requestedAt);
}

/** True when an input reached its provider as a secret. */
export function isSecretInput(value: unknown): boolean {
  return pulumi.runtime.isRpcSecret(value);
}

/** Inputs with their secrets unwrapped, for assertions on the values. */
export function plain<T = any>(value: unknown): T {
  if (pulumi.runtime.isRpcSecret(value)) return plain(pulumi.runtime.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map((v) => plain(v)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) as T;
  return value as T;
}
