import { spawnSync } from "node:child_process";
import { CONFIG_NAMESPACE, type StackConfig, StackConfigError } from "./stackConfig/schema.js";
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

/** The config keys that publish a port on 127.0.0.1, and whether the stack uses each. */
function fixedPorts(config: StackConfig): { key: "postgresPort" | "appPort" | "pgadminPort"; port: number }[] {
  const used = [
    { key: "postgresPort" as const, on: config.postgresSource === "docker" },
    { key: "appPort" as const, on: config.appEnabled },
    { key: "pgadminPort" as const, on: config.pgadminEnabled },
  ];
  return used.filter((p) => p.on && config[p.key] !== 0).map((p) => ({ key: p.key, port: config[p.key] }));
}

// Binding is asynchronous in Node; the program's top level is not. A child node binds and exits.
const BIND_PROBE = `const s=require("node:net").createServer();s.once("error",e=>{process.stdout.write(e.code||"error");process.exit(1)});s.listen(Number(process.argv[1]),"127.0.0.1",()=>s.close(()=>process.exit(0)));`;

/** True when 127.0.0.1:port can be bound right now. */
export function canBindLoopback(port: number): boolean {
  const probe = spawnSync(process.execPath, ["-e", BIND_PROBE, String(port)], { encoding: "utf8", timeout: 10_000 });
  return probe.status === 0;
}

/** Running containers that publish `port` on the host, with their stack label ("" for none). */
function containersPublishing(port: number): { name: string; stack: string }[] {
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
    .filter((c) => c.hostPorts.includes(port))
    .map(({ name, stack }) => ({ name, stack }));
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
  const problems = fixedPorts(config)
    .map(({ key, port }) => {
      return portProblem(key, port, stack, canBindLoopback(port), containersPublishing(port));
    })
    .filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new StackConfigError(problems);
}
