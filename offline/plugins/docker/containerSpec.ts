/**
 * Pure mapping between the official Container inputs and the Docker Engine API: the create body,
 * the outputs read back from an inspect, and the defaults the official provider records.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { CheckFailure, PropertyRules } from "../core/resource.js";
import { containsUnknown } from "../core/properties.js";
import { labelsToMap, sortedLabels } from "./engine.js";

export type ContainerInputs = pulumi.Unwrap<docker.ContainerArgs>;

/**
 * Implemented properties. As in the official provider, what Docker fixes at create time replaces
 * the container; the restart policy is changed in place, must-run starts a stopped container, and
 * the rest (waiting, grace on destroy, the health check) is recorded without touching Docker.
 */
export const CONTAINER_RULES: PropertyRules<ContainerInputs> = {
  name: "replace",
  image: "replace",
  envs: "replace",
  command: "replace",
  entrypoints: "replace",
  mounts: "replace",
  ports: "replace",
  networksAdvanced: "replace",
  // Official: accepted in place and recorded, though Docker cannot change a running container's check.
  healthcheck: "update",
  labels: "replace",
  uploads: "replace",
  stopSignal: "replace",
  stopTimeout: "replace",
  user: "replace",
  restart: "update",
  wait: "update",
  waitTimeout: "update",
  destroyGraceSeconds: "update",
  mustRun: "update",
};

/** Nested settings implemented, per list property; anything else is refused in check. */
export const CONTAINER_NESTED_KEYS: Record<string, readonly string[]> = {
  mounts: ["type", "source", "target", "readOnly"],
  ports: ["internal", "external", "ip", "protocol"],
  networksAdvanced: ["name", "aliases"],
  healthcheck: ["tests", "interval", "timeout", "retries", "startPeriod", "startInterval"],
  uploads: ["file", "content", "executable"],
  labels: ["label", "value"],
};

export const RESTART_POLICIES = ["no", "on-failure", "always", "unless-stopped"] as const;

export function containerDefaults(inputs: ContainerInputs): ContainerInputs {
  return {
    ...inputs,
    restart: inputs.restart ?? "no",
    wait: inputs.wait ?? false,
    waitTimeout: inputs.waitTimeout ?? 60,
    mustRun: inputs.mustRun ?? true,
    labels: sortedLabels(inputs.labels),
    ports: inputs.ports?.map((port) => ({ ...port, ip: port.ip ?? "0.0.0.0", protocol: port.protocol ?? "tcp" })),
    // The official defaults of a health check's timings, as it records them.
    ...(inputs.healthcheck
      ? {
          healthcheck: {
            interval: "0s",
            timeout: "0s",
            startPeriod: "0s",
            startInterval: "0s",
            retries: 0,
            ...inputs.healthcheck,
          },
        }
      : {}),
  };
}

export function validateContainer(inputs: ContainerInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const [property, keys] of Object.entries(CONTAINER_NESTED_KEYS)) {
    const value = (inputs as Record<string, unknown>)[property];
    if (value === undefined || containsUnknown(value)) continue;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      for (const key of Object.keys((item ?? {}) as object)) {
        if (!keys.includes(key))
          failures.push({
            property: `${property}.${key}`,
            reason: `${property}.${key} is not implemented by ConfRadar's offline docker plugin: remove it, or install the official docker plugin`,
          });
      }
    }
  }
  for (const mount of inputs.mounts ?? [])
    if (mount.type !== "volume" && mount.type !== "bind" && !containsUnknown(mount.type))
      failures.push({
        property: "mounts.type",
        reason: `mount type "${mount.type}" is not implemented offline: use volume or bind`,
      });
  if (
    inputs.restart !== undefined &&
    !containsUnknown(inputs.restart) &&
    !(RESTART_POLICIES as readonly string[]).includes(inputs.restart)
  )
    failures.push({
      property: "restart",
      reason: `restart must be one of ${RESTART_POLICIES.join(", ")} (got "${inputs.restart}")`,
    });
  for (const key of ["interval", "timeout", "startPeriod", "startInterval"] as const) {
    const value = inputs.healthcheck?.[key];
    if (typeof value === "string" && !containsUnknown(value) && parseDuration(value) === undefined)
      failures.push({ property: `healthcheck.${key}`, reason: `"${value}" is not a duration such as 2s, 500ms or 1m30s` });
  }
  return failures;
}

/** A Go duration ("1m30s", "500ms", "2s") in nanoseconds, as the Engine API wants it. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return Math.round(parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0));
}

/**
 * Nanoseconds as Go's time.Duration prints them ("1m0s", "1m30s", "2s", "500ms", "0s"): the form
 * the official provider reads a health check back in, so "60s" in a program is drift to it.
 */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  if (ns < 1e9) {
    for (const [unit, size] of [
      ["ms", 1e6],
      ["µs", 1e3],
    ] as const)
      if (ns >= size) return `${Number((ns / size).toFixed(6))}${unit}`;
    return `${ns}ns`;
  }
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = Number(((ns % 60e9) / 1e9).toFixed(9));
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

export interface CreateBody {
  name: string;
  Image: string;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  User?: string;
  Labels: Record<string, string>;
  ExposedPorts: Record<string, object>;
  Healthcheck?: {
    Test: string[];
    Interval: number;
    Timeout: number;
    Retries: number;
    StartPeriod: number;
    /** Engine API 1.44+; older engines drop it, so it is sent only when set. */
    StartInterval?: number;
  };
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig: {
    Mounts: { Type: "volume" | "bind"; Source: string; Target: string; ReadOnly: boolean }[];
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    RestartPolicy: { Name: string };
    NetworkMode: string;
  };
}

/**
 * The Engine API's create body. As the official provider: the container starts on the default
 * "bridge" network mode, and create then connects it to each of networksAdvanced (with aliases)
 * and disconnects it from the default bridge, so HostConfig.NetworkMode reads "bridge" either way.
 */
export function containerCreateBody(inputs: ContainerInputs): CreateBody {
  const withDefaults = containerDefaults(inputs);
  const ports = withDefaults.ports ?? [];
  const health = withDefaults.healthcheck;
  return {
    name: withDefaults.name ?? "",
    Image: withDefaults.image,
    ...(withDefaults.envs ? { Env: withDefaults.envs } : {}),
    ...(withDefaults.command ? { Cmd: withDefaults.command } : {}),
    ...(withDefaults.entrypoints ? { Entrypoint: withDefaults.entrypoints } : {}),
    ...(withDefaults.user ? { User: withDefaults.user } : {}),
    Labels: labelsToMap(withDefaults.labels),
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.internal}/${p.protocol}`, {}])),
    ...(health
      ? {
          Healthcheck: {
            Test: health.tests ?? [],
            Interval: parseDuration(health.interval ?? "0s") ?? 0,
            Timeout: parseDuration(health.timeout ?? "0s") ?? 0,
            Retries: health.retries ?? 0,
            StartPeriod: parseDuration(health.startPeriod ?? "0s") ?? 0,
            ...(parseDuration(health.startInterval ?? "0s") ? { StartInterval: parseDuration(health.startInterval!) } : {}),
          },
        }
      : {}),
    ...(withDefaults.stopSignal ? { StopSignal: withDefaults.stopSignal } : {}),
    ...(withDefaults.stopTimeout !== undefined ? { StopTimeout: withDefaults.stopTimeout } : {}),
    HostConfig: {
      Mounts: (withDefaults.mounts ?? []).map((m) => ({
        Type: m.type as "volume" | "bind",
        Source: m.source ?? "",
        Target: m.target,
        ReadOnly: m.readOnly ?? false,
      })),
      PortBindings: Object.fromEntries(
        ports.map((p) => [
          `${p.internal}/${p.protocol}`,
          [{ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external ? String(p.external) : "" }],
        ]),
      ),
      RestartPolicy: { Name: withDefaults.restart ?? "no" },
      NetworkMode: "bridge",
    },
  };
}

/** The parts of an inspect the outputs use. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  HostConfig?: {
    NetworkMode?: string;
    AutoRemove?: boolean;
    ReadonlyRootfs?: boolean;
    MemoryReservation?: number;
    SecurityOpt?: string[] | null;
    IpcMode?: string;
    Runtime?: string;
    ShmSize?: number;
    LogConfig?: { Type?: string };
  };
  State: {
    Running: boolean;
    Status: string;
    ExitCode: number;
    Health?: { Status: string; Log?: { Output: string; ExitCode: number }[] };
  };
  Config: {
    Hostname: string;
    Labels?: Record<string, string> | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Tty?: boolean;
    OpenStdin?: boolean;
    User?: string;
    WorkingDir?: string;
    StopSignal?: string;
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number };
  };
  NetworkSettings: {
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks?: Record<
      string,
      { IPAddress: string; Gateway: string; MacAddress: string; GlobalIPv6Address: string; IPPrefixLen: number }
    >;
  };
}

export interface ContainerState {
  ports?: { internal: number; external: number; ip: string; protocol: string }[];
  networkDatas: {
    networkName: string;
    ipAddress: string;
    gateway: string;
    macAddress: string;
    ipPrefixLength: number;
    globalIpv6Address: string;
  }[];
  hostname: string;
  exitCode?: number;
  [key: string]: unknown;
}

/** Outputs from an inspect: published ports with the host port Docker chose, network addresses. */
export function containerState(info: ContainerInspect, inputs: ContainerInputs): ContainerState {
  const published = info.NetworkSettings.Ports ?? {};
  const ports = (containerDefaults(inputs).ports ?? []).map((port) => {
    const binding = published[`${port.internal}/${port.protocol}`]?.[0];
    return {
      internal: port.internal,
      external: binding ? Number(binding.HostPort) : (port.external ?? 0),
      ip: port.ip ?? "0.0.0.0",
      protocol: port.protocol ?? "tcp",
    };
  });
  return {
    ...(inputs.ports ? { ports } : {}),
    networkDatas: Object.entries(info.NetworkSettings.Networks ?? {}).map(([networkName, n]) => ({
      networkName,
      ipAddress: n.IPAddress,
      gateway: n.Gateway,
      macAddress: n.MacAddress,
      ipPrefixLength: n.IPPrefixLen,
      globalIpv6Address: n.GlobalIPv6Address,
    })),
    hostname: info.Config.Hostname,
    ...(info.State.Running ? {} : { exitCode: info.State.ExitCode }),
    // What the official provider records besides: its settings' defaults and what Docker filled in.
    // A state without them would make the official plugin plan a replacement after a switch.
    attach: false,
    logs: false,
    start: true,
    removeVolumes: true,
    containerReadRefreshTimeoutMilliseconds: 15000,
    rm: info.HostConfig?.AutoRemove ?? false,
    readOnly: info.HostConfig?.ReadonlyRootfs ?? false,
    tty: info.Config.Tty ?? false,
    stdinOpen: info.Config.OpenStdin ?? false,
    networkMode: info.HostConfig?.NetworkMode ?? "bridge",
    memoryReservation: Math.floor((info.HostConfig?.MemoryReservation ?? 0) / (1024 * 1024)),
    securityOpts: info.HostConfig?.SecurityOpt ?? [],
    entrypoints: inputs.entrypoints ?? info.Config.Entrypoint ?? [],
    command: inputs.command ?? info.Config.Cmd ?? [],
    user: inputs.user ?? info.Config.User ?? "",
    workingDir: info.Config.WorkingDir ?? "",
    ipcMode: info.HostConfig?.IpcMode ?? "private",
    runtime: info.HostConfig?.Runtime ?? "runc",
    shmSize: Math.floor((info.HostConfig?.ShmSize ?? 64 * 1024 * 1024) / (1024 * 1024)),
    logDriver: info.HostConfig?.LogConfig?.Type ?? "json-file",
    init: false,
  };
}

/** Inputs as the live container shows them, for refresh: only what can drift outside Pulumi. */
export function liveContainerInputs(info: ContainerInspect, inputs: ContainerInputs): ContainerInputs {
  // Labels are left as given: the engine merges the image's own labels into the container's.
  // A health check's timings come back as Go prints them, as the official provider reads them.
  const health = info.Config.Healthcheck;
  return {
    ...inputs,
    name: info.Name.replace(/^\//, ""),
    ...(inputs.healthcheck && health
      ? {
          healthcheck: {
            ...inputs.healthcheck,
            interval: formatDuration(health.Interval ?? 0),
            timeout: formatDuration(health.Timeout ?? 0),
            startPeriod: formatDuration(health.StartPeriod ?? 0),
            startInterval: formatDuration(health.StartInterval ?? 0),
          },
        }
      : {}),
  };
}
