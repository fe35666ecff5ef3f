/**
 * A container's one published port, both ways: what the stack asks Docker for (always on loopback)
 * and which host port the container got. One module, so every component publishes and reads its
 * port the same way.
 */
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** A published port: always on loopback; 0 lets Docker pick a free one. */
export function loopbackPort(
  internal: number,
  external: number,
): { internal: number; external?: number; ip: string; protocol: string } {
  return external === 0
    ? { internal, ip: "127.0.0.1", protocol: "tcp" }
    : { internal, external, ip: "127.0.0.1", protocol: "tcp" };
}

/**
 * The host port of a container's first published port, from the container's `ports` output: the
 * port, "unknown" in a preview before Docker has picked it (the stack asked for 0 and the container
 * is to be created or replaced: a plugin without preview support hands the engine the inputs, which
 * have no port), or an error after `up`. Pure, so it is tested without the engine.
 */
export function hostPortOf(
  ports: readonly { external?: number }[] | undefined,
  preview: boolean,
  what: string,
): number | "unknown" {
  const external = ports?.[0]?.external;
  if (external !== undefined) return external;
  if (preview) return "unknown";
  throw new Error(`${what} reports no published port`);
}

/** `hostPortOf` as an output: unknown in a preview until Docker has picked the port, as with the official provider. */
export function publishedHostPort(container: docker.Container, what: string): pulumi.Output<number> {
  return container.ports.apply((ports) => {
    const port = hostPortOf(ports, pulumi.runtime.isDryRun(), what);
    // An unknown output returned from apply makes the result unknown (the SDK lifts it).
    return port === "unknown" ? pulumi.output<number>(pulumi.unknown as unknown as number) : pulumi.output(port);
  });
}
