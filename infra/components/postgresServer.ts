import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DataVolumeGuard } from "../providers/dataVolumeGuard.js";
import { dockerName, stackLabels, toDockerLabels } from "../dockerNames.js";
import { checkHostPort, checkPresent, checkWholeNumber } from "./argumentChecks.js";
import { connectionUrl, type ServerConnection } from "./connection.js";
import { healthcheck, type HealthTimings } from "./healthcheck.js";
import { loopbackPort, publishedHostPort } from "./publishedPort.js";

/**
 * Where the official image keeps its data: up to 17 the data directory itself; from 18 the parent,
 * with data under MAJOR/docker (docker-library/postgres#1259). Mounting at the wrong path leaves the
 * data in an anonymous volume that is lost on replacement.
 */
export function postgresDataMountPath(major: number): string {
  return major >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

/**
 * Ready means accepting TCP connections: during first init the image runs a temporary server on
 * the unix socket only, and a socket check would call that ready.
 */
export function postgresHealthTest(user: string, database: string): string[] {
  return ["CMD-SHELL", `pg_isready -h 127.0.0.1 -p 5432 -U ${user} -d ${database} -q`];
}

/**
 * The server's command line. client_connection_check_interval (PostgreSQL 14+) ends sessions whose
 * client died, so a killed migrator does not keep the advisory lock until its statement ends.
 */
export function postgresCommand(): string[] {
  return ["postgres", "-c", "client_connection_check_interval=250ms"];
}

export interface PostgresServerArgs {
  /** Stack name; every Docker object's name carries it. */
  readonly stack: string;
  /** Image reference, e.g. the official postgres:16-alpine or a locally built one. */
  readonly image: pulumi.Input<string>;
  /** Major version the image runs (12 or newer); decides the volume's mount path. */
  readonly majorVersion: number;
  /** Host port on 127.0.0.1; 0 lets Docker pick one. */
  readonly hostPort: number;
  /** Seconds Docker waits after SIGINT before SIGKILL (at least 1). Default 90. */
  readonly stopGraceSeconds?: number;
  /** Health check timings for the TCP readiness probe. */
  readonly health: HealthTimings;
  /** Seconds `up` waits for the container to turn healthy (at least 1). */
  readonly waitTimeoutSeconds: number;
  /** Keep the data volume on `pulumi destroy` (dev); remove it otherwise (ci). */
  readonly retainVolume: boolean;
}

export const SUPERUSER = "postgres";

/**
 * The PostgreSQL server: its network, a named data volume at the right path for the major version,
 * and a container that counts as created only once it answers over TCP.
 */
export class PostgresServer extends pulumi.ComponentResource {
  public readonly network: docker.Network;
  public readonly volume: docker.Volume;
  public readonly container: docker.Container;
  /** Host and port on the machine running Docker (127.0.0.1 only). */
  public readonly host: pulumi.Output<string>;
  public readonly hostPort: pulumi.Output<number>;
  /** How the stack reaches the server and logs in as its superuser: what DatabaseAccess takes. */
  public readonly connection: ServerConnection;
  /** The superuser's URL through 127.0.0.1 (secret). */
  public readonly superuserUrl: pulumi.Output<string>;
  /** The container's name (plain: it stays the same when the container is replaced). */
  public readonly containerName: string;
  public readonly networkName: pulumi.Output<string>;
  public readonly volumeName: pulumi.Output<string>;

  constructor(name: string, args: PostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:database:PostgresServer", name, {}, opts);
    checkPresent("PostgresServer", "stack", args.stack);
    checkWholeNumber("PostgresServer", "majorVersion", args.majorVersion, 12);
    checkHostPort("PostgresServer", "hostPort", args.hostPort);
    checkWholeNumber("PostgresServer", "stopGraceSeconds", args.stopGraceSeconds ?? 90, 1);
    checkWholeNumber("PostgresServer", "waitTimeoutSeconds", args.waitTimeoutSeconds, 1);
    const grace = args.stopGraceSeconds ?? 90;
    const containerName = dockerName(args.stack, "postgres");

    // The image reads it only when it initialises an empty volume. It was made beside the
    // component before the component owned it: the alias keeps that password (and the data it opens).
    const superuserPassword = new random.RandomPassword(
      `${name}-superuser-password`,
      { length: 32, special: false },
      { parent: this, aliases: [{ parent: pulumi.rootStackResource }] },
    );

    this.network = new docker.Network(
      `${name}-network`,
      { name: dockerName(args.stack, "net"), labels: toDockerLabels(stackLabels(args.stack, "network")) },
      { parent: this },
    );

    // retainOnDelete: `pulumi destroy` forgets the volume instead of deleting it (pulumi-docker#389).
    this.volume = new docker.Volume(
      `${name}-data`,
      { name: dockerName(args.stack, "pgdata"), labels: toDockerLabels(stackLabels(args.stack, "pgdata")) },
      { parent: this, retainOnDelete: args.retainVolume },
    );

    const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this });

    const guard = new DataVolumeGuard(
      `${name}-volume-guard`,
      { volumeName: this.volume.name, image: image.imageId, majorVersion: args.majorVersion },
      { parent: this },
    );

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: containerName,
        image: image.imageId,
        envs: [pulumi.interpolate`POSTGRES_PASSWORD=${superuserPassword.result}`, `POSTGRES_USER=${SUPERUSER}`],
        command: postgresCommand(),
        mounts: [{ type: "volume", source: this.volume.name, target: postgresDataMountPath(args.majorVersion) }],
        ports: [loopbackPort(5432, args.hostPort)],
        networksAdvanced: [{ name: this.network.name, aliases: ["postgres"] }],
        healthcheck: healthcheck(postgresHealthTest(SUPERUSER, "postgres"), args.health),
        wait: true,
        waitTimeout: args.waitTimeoutSeconds,
        restart: "unless-stopped",
        stopSignal: "SIGINT",
        stopTimeout: grace,
        destroyGraceSeconds: grace,
        labels: toDockerLabels(stackLabels(args.stack, "postgres")),
      },
      {
        parent: this,
        dependsOn: [guard],
        // The new container needs the old one's port and volume: remove first (pulumi-docker#1356).
        deleteBeforeReplace: true,
        additionalSecretOutputs: ["envs"],
      },
    );

    this.host = pulumi.output("127.0.0.1");
    this.hostPort = publishedHostPort(this.container, `container ${containerName}`);
    const external = { host: this.host, port: this.hostPort, tls: { sslmode: "disable" } } as const;
    this.connection = {
      external,
      internal: { host: "postgres", port: 5432, tls: { sslmode: "disable" } },
      admin: { username: SUPERUSER, password: pulumi.secret(superuserPassword.result), database: "postgres", superuser: true },
    };
    this.superuserUrl = connectionUrl(external, { user: SUPERUSER, password: superuserPassword.result, database: "postgres" });
    this.containerName = containerName;
    this.networkName = this.network.name;
    this.volumeName = this.volume.name;

    this.registerOutputs({
      hostPort: this.hostPort,
      networkName: this.networkName,
      volumeName: this.volumeName,
    });
  }
}
