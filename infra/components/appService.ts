import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, stackLabels, toDockerLabels } from "../dockerNames.js";
import { checkHostPort, checkPresent, checkWholeNumber } from "./argumentChecks.js";
import { CONTAINER_ROOT_CERT_PATH } from "./connection.js";
import { healthcheck, type HealthTimings } from "./healthcheck.js";
import { loopbackPort, publishedHostPort } from "./publishedPort.js";

export interface AppServiceArgs {
  /** Stack name; every Docker object's name carries it. */
  readonly stack: string;
  /** Absolute path of the build context (the project root; app/Dockerfile is inside). */
  readonly contextDir: string;
  /** The NODE_IMAGE build argument: the Node runtime the app image is built on. */
  readonly nodeImage: string;
  /** The stack's Docker network (where the Docker server answers as `postgres`). */
  readonly networkName: pulumi.Input<string>;
  /** PEM CA bundle of an existing server, put at CONTAINER_ROOT_CERT_PATH in both containers (the URL names it). */
  readonly databaseRootCertPem?: string;
  /** The app role's URL inside the network (secret). */
  readonly databaseUrl: pulumi.Input<string>;
  /** Host port for the API and page on 127.0.0.1; 0 lets Docker pick one. */
  readonly hostPort: number;
  /** Most connections each app process's pool opens (PG_POOL_MAX), at least 1. */
  readonly poolMax: number;
  /** How long an idle pooled connection stays open (PG_IDLE_TIMEOUT_MS), in ms. */
  readonly poolIdleTimeoutMs: number;
  /** Seconds between the worker's imports of the dataset (INGEST_INTERVAL_SECONDS); 0 imports on demand only. */
  readonly ingestIntervalSeconds: number;
  /** Health check timings of both containers. */
  readonly health: HealthTimings;
  /** Seconds `up` waits for each container to turn healthy (at least 1). */
  readonly waitTimeoutSeconds: number;
  /**
   * The platform the image is built for, e.g. linux/arm64: the Docker engine's (infra/index.ts asks
   * it). Default, when no engine answers: this machine's own (hostPlatform).
   */
  readonly platform?: string;
  /** The schema step: the containers are created only after it (and its ledger grants) succeeded. */
  readonly migrations: pulumi.Resource;
}

/** The Docker platform of this machine's architecture: an image built for another runs emulated, or not at all. */
export function hostPlatform(arch: string = process.arch): string {
  const dockerArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm/v7", ppc64: "ppc64le", s390x: "s390x" };
  return `linux/${dockerArch[arch] ?? arch}`;
}

/** Port the app listens on inside its container. */
export const APP_PORT = 3000;

/** The image's health check per role (see app/Dockerfile and docs/architecture.md). */
export function appHealthTest(role: "api" | "worker"): string[] {
  return ["CMD", "node", "dist/app/src/healthcheck.js", role];
}

/** The app image, built from app/Dockerfile, run as the API and the worker with the app role. */
export class AppService extends pulumi.ComponentResource {
  public readonly image: docker.Image;
  public readonly api: docker.Container;
  public readonly worker: docker.Container;
  public readonly hostPort: pulumi.Output<number>;
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("confradar:app:AppService", name, {}, opts);
    checkPresent("AppService", "stack", args.stack);
    checkHostPort("AppService", "hostPort", args.hostPort);
    checkWholeNumber("AppService", "poolMax", args.poolMax, 1);
    checkWholeNumber("AppService", "poolIdleTimeoutMs", args.poolIdleTimeoutMs, 0);
    checkWholeNumber("AppService", "ingestIntervalSeconds", args.ingestIntervalSeconds, 0);
    checkWholeNumber("AppService", "waitTimeoutSeconds", args.waitTimeoutSeconds, 1);
    const uploads = args.databaseRootCertPem
      ? [{ file: CONTAINER_ROOT_CERT_PATH, content: args.databaseRootCertPem }]
      : undefined;

    this.image = new docker.Image(
      `${name}-image`,
      {
        imageName: `${dockerName(args.stack, "app")}:latest`,
        build: {
          context: args.contextDir,
          dockerfile: `${args.contextDir}/app/Dockerfile`,
          args: { NODE_IMAGE: args.nodeImage },
          platform: args.platform ?? hostPlatform(),
        },
        skipPush: true,
      },
      { parent: this },
    );

    const env = pulumi.output(args.databaseUrl).apply((url) => [
      `DATABASE_URL=${url}`,
      `PORT=${APP_PORT}`,
      // The app listens on the container's own interfaces (Docker forwards the port to it and the
      // worker's peers reach it on the network); the host side is published on 127.0.0.1 only.
      "HOST=0.0.0.0",
      // The api answers 127.0.0.1/localhost/::1 on any port by itself: the published port and the
      // container's health check use those. Its name on the stack network is the other one a
      // peer may use; any other Host (a page elsewhere rebinding its domain) gets a 403.
      `ALLOWED_HOSTS=${dockerName(args.stack, "api")}`,
      "LOG_LEVEL=info",
      `PG_POOL_MAX=${args.poolMax}`,
      `PG_IDLE_TIMEOUT_MS=${args.poolIdleTimeoutMs}`,
      `INGEST_INTERVAL_SECONDS=${args.ingestIntervalSeconds}`,
    ]);

    const container = (role: "api" | "worker", ports: docker.types.input.ContainerPort[]) =>
      new docker.Container(
        `${name}-${role}`,
        {
          name: dockerName(args.stack, role),
          // The local image id: a rebuilt image replaces the containers; an unchanged one does not.
          image: this.image.repoDigest,
          command: [role],
          envs: pulumi.secret(env),
          ports,
          networksAdvanced: [{ name: args.networkName }],
          ...(uploads ? { uploads } : {}),
          healthcheck: healthcheck(appHealthTest(role), args.health),
          wait: true,
          waitTimeout: args.waitTimeoutSeconds,
          restart: "unless-stopped",
          stopTimeout: 30,
          destroyGraceSeconds: 30,
          labels: toDockerLabels(stackLabels(args.stack, role)),
        },
        { parent: this, dependsOn: [args.migrations], deleteBeforeReplace: true, additionalSecretOutputs: ["envs"] },
      );

    this.api = container("api", [loopbackPort(APP_PORT, args.hostPort)]);
    this.worker = container("worker", []);
    this.hostPort = publishedHostPort(this.api, "the api container");
    this.url = pulumi.interpolate`http://127.0.0.1:${this.hostPort}/`;
    this.registerOutputs({ hostPort: this.hostPort, url: this.url });
  }
}
