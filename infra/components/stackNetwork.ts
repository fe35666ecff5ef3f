import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, stackLabels, toDockerLabels } from "../dockerNames.js";
import { checkPresent } from "./argumentChecks.js";

export interface StackNetworkArgs {
  /** Stack name; the network is named confradar-STACK-net, as the Docker server's network is. */
  readonly stack: string;
}

/**
 * The stack's Docker network when PostgreSQL is an existing server (the Docker server brings its
 * own, PostgresServer). The app containers join it; it exists with the app disabled too, so a
 * server on this machine can listen on its gateway address before the app is turned on
 * (docs/configuration.md, "A self-hosted server on the same machine").
 */
export class StackNetwork extends pulumi.ComponentResource {
  public readonly network: docker.Network;
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: StackNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:network:StackNetwork", name, {}, opts);
    checkPresent("StackNetwork", "stack", args.stack);
    this.network = new docker.Network(
      `${name}-network`,
      { name: dockerName(args.stack, "net"), labels: toDockerLabels(stackLabels(args.stack, "network")) },
      { parent: this },
    );
    this.name = this.network.name;
    this.registerOutputs({ name: this.name });
  }
}
