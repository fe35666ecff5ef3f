import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  dockerName,
  healthcheck,
  type HealthTimings,
  loopbackPort,
  pgadminServersJson,
  pgpassLine,
  stackLabels,
  toDockerLabels,
} from "../naming.js";

export interface PgAdminArgs {
  readonly stack: string;
  /** Image reference, e.g. the official dpage/pgadmin4:9 or a locally built one. */
  readonly image: string;
  /** Host port on 127.0.0.1; 0 lets Docker pick one. */
  readonly hostPort: number;
  /** pgAdmin's login e-mail. */
  readonly email: string;
  readonly networkName: pulumi.Input<string>;
  /** The preloaded server: reached inside the network, as this role. */
  readonly server: {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly database: pulumi.Input<string>;
    readonly username: string;
    readonly password: pulumi.Input<string>;
  };
  readonly health: HealthTimings;
  readonly waitTimeoutSeconds: number;
}

const LISTEN_PORT = 5050;
const SEED_DIR = "/confradar-seed";

/**
 * pgAdmin with a generated login and the stack's server preloaded. The server list is replaced on
 * every start (PGADMIN_REPLACE_SERVERS_ON_STARTUP), so repeated `up`s never duplicate it
 * (pgadmin4#7811). Its password travels in a passfile, never in servers.json (pgadmin4#8663); in
 * server mode pgAdmin reads PassFile inside the user's storage folder, with mode 0600, so a small
 * wrapper puts it there before the image's own entrypoint runs.
 */
export class PgAdmin extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly password: pulumi.Output<string>;
  public readonly email: string;
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: PgAdminArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:tools:PgAdmin", name, {}, opts);
    const login = new random.RandomPassword(`${name}-login`, { length: 24, special: false }, { parent: this });
    this.password = pulumi.secret(login.result);
    this.email = args.email;

    // pgAdmin names a user's storage folder after the e-mail with '@' replaced by '_'.
    const storageDir = `/var/lib/pgadmin/storage/${args.email.replace("@", "_")}`;
    const serversJson = pulumi.all([args.server.port, args.server.database]).apply(([port, database]) =>
      pgadminServersJson({
        name: `ConfRadar (${args.stack})`,
        host: "postgres",
        port,
        database,
        username: args.server.username,
        passFile: "/pgpass",
      }),
    );
    const pgpass = pulumi
      .all([args.server.host, args.server.port, args.server.database, args.server.password])
      .apply(([host, port, database, password]) => pgpassLine({ host, port, database, user: args.server.username, password }));
    const wrapper = [
      "set -e",
      `mkdir -p '${storageDir}'`,
      `cp ${SEED_DIR}/pgpass '${storageDir}/pgpass'`,
      `chmod 600 '${storageDir}/pgpass'`,
      "exec /entrypoint.sh",
    ].join("\n");

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: dockerName(args.stack, "pgadmin"),
        image: args.image,
        entrypoints: ["/bin/sh", "-c", wrapper],
        envs: pulumi.secret(
          login.result.apply((password) => [
            `PGADMIN_DEFAULT_EMAIL=${args.email}`,
            `PGADMIN_DEFAULT_PASSWORD=${password}`,
            `PGADMIN_LISTEN_PORT=${LISTEN_PORT}`,
            `PGADMIN_SERVER_JSON_FILE=${SEED_DIR}/servers.json`,
            "PGADMIN_REPLACE_SERVERS_ON_STARTUP=True",
            "PGADMIN_CONFIG_UPGRADE_CHECK_ENABLED=False",
          ]),
        ),
        uploads: [
          { file: `${SEED_DIR}/servers.json`, content: serversJson },
          { file: `${SEED_DIR}/pgpass`, content: pulumi.secret(pgpass) },
        ],
        ports: [loopbackPort(LISTEN_PORT, args.hostPort)],
        networksAdvanced: [{ name: args.networkName }],
        healthcheck: healthcheck(
          [
            "CMD-SHELL",
            `wget -q -O /dev/null http://127.0.0.1:${LISTEN_PORT}/misc/ping || python3 -c "import urllib.request;urllib.request.urlopen('http://127.0.0.1:${LISTEN_PORT}/misc/ping')"`,
          ],
          { ...args.health, startPeriodSeconds: Math.max(args.health.startPeriodSeconds, 30) },
        ),
        wait: true,
        waitTimeout: args.waitTimeoutSeconds,
        restart: "unless-stopped",
        labels: toDockerLabels(stackLabels(args.stack, "pgadmin")),
      },
      { parent: this, deleteBeforeReplace: true, additionalSecretOutputs: ["envs", "uploads"] },
    );

    this.url = this.container.ports.apply((ports) => `http://127.0.0.1:${ports?.[0]?.external ?? LISTEN_PORT}/`);
    this.registerOutputs({ url: this.url });
  }
}
