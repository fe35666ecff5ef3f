import { spawnSync } from "node:child_process";
import {
  CONFIG_NAMESPACE,
  HOST_PORT_SETTINGS,
  type HostPortSetting,
  type StackConfig,
  StackConfigError,
} from "./stackConfig/schema.js";
import { STACK_LABEL } from "./dockerNames.js";

/**
 * Fixed host ports that something other than this stack already holds, found before anything is
 * created or changed.
 *
 * Docker reports a taken port only when it starts the container ("port is already allocated"), and
 * the stack replaces containers delete-before-create: changing appPort to a port another process
 * holds used to remove the running api and then fail to start its replacement. So each fixed port
 * is tried first: free, or published by one of this stack's own containers (its replacement takes
 * it over), is fine; anything else stops the run with the key, the port and who holds it.
 */

/** The fixed host ports this stack publishes: the container behind each setting runs. */
function fixedPorts(config: StackConfig): { key: HostPortSetting; port: number }[] {
  const published: Record<HostPortSetting, boolean> = {
    postgresPort: config.postgresSource === "docker",
    appPort: config.appEnabled,
    pgadminPort: config.pgadminEnabled,
  };
  return HOST_PORT_SETTINGS.filter((key) => published[key] && config[key] !== 0).map((key) => ({ key, port: config[key] }));
}

// Binding is asynchronous in Node; the program's top level is not. A child node binds and exits.
const BIND_PROBE = `const s=require("node:net").createServer();s.once("error",e=>{process.stdout.write(e.code||"error");process.exit(1)});s.listen(Number(process.argv[1]),"127.0.0.1",()=>s.close(()=>process.exit(0)));`;

/** True when 127.0.0.1:port can be bound right now. */
export function canBindLoopback(port: number): boolean {
  const probe = spawnSync(process.execPath, ["-e", BIND_PROBE, String(port)], { encoding: "utf8", timeout: 10_000 });
  return probe.status === 0;
}

/** Running containers that publish host ports: their names, stack labels ("" for none) and host ports. */
function publishingContainers(): { name: string; stack: string; hostPorts: number[] }[] {
  // `docker ps --filter publish=N` matches the container's port, not the host's: read the mappings.
  const listed = spawnSync("docker", ["ps", "--format", `{{.Names}}\t{{.Label "${STACK_LABEL}"}}\t{{.Ports}}`], {
    encoding: "utf8",
    timeout: 15_000,
  });
  if (listed.status !== 0) return [];
  return listed.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name = "", stack = "", ports = ""] = line.split("\t");
      return { name, stack, hostPorts: hostPortsIn(ports) };
    })
    .filter((c) => c.hostPorts.length > 0);
}

/** Host ports in `docker ps`'s Ports column ("127.0.0.1:56080->3000/tcp, 5432/tcp" → [56080]). */
export function hostPortsIn(column: string): number[] {
  return [...column.matchAll(/:(\d+)(?:-(\d+))?->/g)].flatMap((m) => {
    const first = Number(m[1]);
    const last = m[2] ? Number(m[2]) : first;
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
}

/**
 * What a fixed port's holders mean for the run: undefined when the stack may use it, else the
 * problem line. Pure, for the tests; `checkFixedPortsFree` feeds it what it finds.
 */
export function portProblem(
  key: string,
  port: number,
  stack: string,
  bindable: boolean,
  holders: { name: string; stack: string }[],
): string | undefined {
  const fix = "pick a free port, or 0 to let Docker choose";
  // Another container counts even when the port binds: without Docker's userland proxy nothing
  // listens, yet Docker refuses the port ("port is already allocated").
  const others = holders.filter((h) => h.stack !== stack);
  if (others.length > 0) {
    const named = others.map((h) => (h.stack ? `${h.name} (stack ${h.stack})` : h.name)).join(", ");
    return `${CONFIG_NAMESPACE}:${key} = ${port}: 127.0.0.1:${port} is already published by the container ${named}; ${fix}`;
  }
  if (bindable || holders.length > 0) return undefined;
  return `${CONFIG_NAMESPACE}:${key} = ${port}: 127.0.0.1:${port} is already in use by another process (\`ss -ltnp | grep :${port}\` shows which); ${fix}`;
}

/** Throws StackConfigError naming every fixed port held by something other than this stack. */
export function checkFixedPortsFree(config: StackConfig, stack: string): void {
  const ports = fixedPorts(config);
  if (ports.length === 0) return;
  const containers = publishingContainers();
  const problems = ports
    .map(({ key, port }) => {
      const holders = containers.filter((c) => c.hostPorts.includes(port)).map(({ name, stack: s }) => ({ name, stack: s }));
      return portProblem(key, port, stack, canBindLoopback(port), holders);
    })
    .filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new StackConfigError(problems);
}
