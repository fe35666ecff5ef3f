import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { dockerName, stackLabels, toDockerLabels } from "../dockerNames.js";
import { checkHostPort, checkPresent, checkWholeNumber } from "./argumentChecks.js";
import { pgpassLine } from "./connection.js";
import { healthcheck, type HealthTimings } from "./healthcheck.js";
import { loopbackPort, publishedHostPort } from "./publishedPort.js";

/** pgAdmin's servers.json: one server, password through a passfile (pgadmin4#8663). */
export function pgadminServersJson(server: {
  name: string;
  host: string;
  port: number;
  database: string;
  username: string;
  passFile: string;
}): string {
  return JSON.stringify(
    {
      Servers: {
        "1": {
          Name: server.name,
          Group: "ConfRadar",
          Host: server.host,
          Port: server.port,
          MaintenanceDB: server.database,
          Username: server.username,
          PassFile: server.passFile,
          SSLMode: "disable",
        },
      },
    },
    null,
    2,
  );
}

/** pgAdmin (server mode) keeps a user's files in a folder named after the e-mail, '@' as '_'. */
export function pgadminStorageDir(email: string): string {
  return `/var/lib/pgadmin/storage/${email.replace("@", "_")}`;
}

/**
 * The pgAdmin container's start command: puts the passfile into the user's storage folder with
 * mode 0600 (libpq ignores a group- or world-readable one; in server mode pgAdmin resolves PassFile
 * there), then runs the image's own entrypoint. The official image starts as the pgadmin user; an
 * image that starts as root gets the files handed to that user.
 */
export function pgadminStartScript(email: string, seedDir: string): string {
  const dir = pgadminStorageDir(email);
  return [
    "set -e",
    `mkdir -p '${dir}'`,
    `cp '${seedDir}/pgpass' '${dir}/pgpass'`,
    `chmod 600 '${dir}/pgpass'`,
    `if [ "$(id -u)" = 0 ]; then chown -R pgadmin:pgadmin /var/lib/pgadmin; fi`,
    "exec /entrypoint.sh",
  ].join("\n");
}

/**
 * pgAdmin's environment: the generated login, the port, and the seeded server list re-imported on
 * every start, which replaces rather than duplicates it (pgadmin4#5452, #7811).
 */
export function pgadminEnv(email: string, password: string, port: number, seedDir: string): string[] {
  return [
    `PGADMIN_DEFAULT_EMAIL=${email}`,
    `PGADMIN_DEFAULT_PASSWORD=${password}`,
    `PGADMIN_LISTEN_PORT=${port}`,
    `PGADMIN_SERVER_JSON_FILE=${seedDir}/servers.json`,
    "PGADMIN_REPLACE_SERVERS_ON_STARTUP=True",
    "PGADMIN_CONFIG_UPGRADE_CHECK_ENABLED=False",
  ];
}

/** pgAdmin's liveness URL, checked with whichever of wget (official, Alpine) or python3 the image has. */
export function pgadminHealthTest(port: number): string[] {
  const url = `http://127.0.0.1:${port}/misc/ping`;
  return ["CMD-SHELL", `wget -q -O /dev/null ${url} || python3 -c "import urllib.request;urllib.request.urlopen('${url}')"`];
}

export interface PgAdminArgs {
  readonly stack: string;
  /** Image reference, e.g. the official dpage/pgadmin4:9 or a locally built one. */
  readonly image: string;
  /** Host port on 127.0.0.1; 0 lets Docker pick one. */
  readonly hostPort: number;
  /** pgAdmin's login e-mail. */
  readonly email: string;
  /** The Docker network it joins, where it reaches the server. */
  readonly networkName: pulumi.Input<string>;
  /** The preloaded server: reached inside the network, as this role. */
  readonly server: {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly database: pulumi.Input<string>;
    readonly username: string;
    readonly password: pulumi.Input<string>;
  };
  /** Health check timings of the container. */
  readonly health: HealthTimings;
  /** Seconds `up` waits for the container to turn healthy (at least 1). */
  readonly waitTimeoutSeconds: number;
}

export const PGADMIN_LISTEN_PORT = 5050;
/** Where the container receives servers.json and the passfile (uploaded before it starts). */
export const PGADMIN_SEED_DIR = "/confradar-seed";

/**
 * pgAdmin with a generated login and the stack's server preloaded. The server list is replaced on
 * every start (PGADMIN_REPLACE_SERVERS_ON_STARTUP), so repeated `up`s never duplicate it
 * (pgadmin4#7811). Its password travels in a passfile, never in servers.json (pgadmin4#8663); in
 * server mode pgAdmin reads PassFile inside the user's storage folder, with mode 0600, so a small
 * start script (pgadminStartScript) puts it there before the image's own entrypoint runs.
 */
export class PgAdmin extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly password: pulumi.Output<string>;
  public readonly email: string;
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: PgAdminArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:tools:PgAdmin", name, {}, opts);
    checkPresent("PgAdmin", "stack", args.stack);
    checkHostPort("PgAdmin", "hostPort", args.hostPort);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(args.email))
      throw new Error(`PgAdmin: [email] must be an e-mail address (pgAdmin's login), got ${JSON.stringify(args.email)}`);
    checkWholeNumber("PgAdmin", "waitTimeoutSeconds", args.waitTimeoutSeconds, 1);
    const login = new random.RandomPassword(`${name}-login`, { length: 24, special: false }, { parent: this });
    this.password = pulumi.secret(login.result);
    this.email = args.email;

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

    this.container = new docker.Container(
      `${name}-container`,
      {
        name: dockerName(args.stack, "pgadmin"),
        image: args.image,
        entrypoints: ["/bin/sh", "-c", pgadminStartScript(args.email, PGADMIN_SEED_DIR)],
        envs: pulumi.secret(
          login.result.apply((password) => pgadminEnv(args.email, password, PGADMIN_LISTEN_PORT, PGADMIN_SEED_DIR)),
        ),
        uploads: [
          { file: `${PGADMIN_SEED_DIR}/servers.json`, content: serversJson },
          { file: `${PGADMIN_SEED_DIR}/pgpass`, content: pulumi.secret(pgpass) },
        ],
        ports: [loopbackPort(PGADMIN_LISTEN_PORT, args.hostPort)],
        networksAdvanced: [{ name: args.networkName }],
        healthcheck: healthcheck(pgadminHealthTest(PGADMIN_LISTEN_PORT), {
          ...args.health,
          startPeriodSeconds: Math.max(args.health.startPeriodSeconds, 30),
        }),
        wait: true,
        waitTimeout: args.waitTimeoutSeconds,
        restart: "unless-stopped",
        labels: toDockerLabels(stackLabels(args.stack, "pgadmin")),
      },
      { parent: this, deleteBeforeReplace: true, additionalSecretOutputs: ["envs", "uploads"] },
    );

    this.url = pulumi.interpolate`http://127.0.0.1:${publishedHostPort(this.container, "the pgAdmin container")}/`;
    this.registerOutputs({ url: this.url });
  }
}
