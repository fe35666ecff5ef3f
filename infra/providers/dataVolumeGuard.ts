import * as pulumi from "@pulumi/pulumi";

/**
 * Refuses to put a PostgreSQL server of one major version on a data volume written by another.
 *
 * PostgreSQL cannot open a data directory of another major version (docker-library/postgres#37),
 * and the 18+ images use a different layout (data under MAJOR/docker). Without this guard a changed
 * image tag either crash-loops the container or, with an empty-looking path, initialises a fresh
 * cluster next to the old data. The guard reads PG_VERSION from the volume with a throwaway
 * container of the configured image before the server container is (re)created, and stops `up`
 * with a message saying how to move the data.
 *
 * Like the migration step, these functions are serialized into the state: no imports captured.
 */

export interface DataVolumeGuardInputs {
  volumeName: string;
  /** Image id (or reference) used to read the volume; it has `sh` and `cat`. */
  image: string;
  majorVersion: number;
}

export interface DataVolumeGuardOutputs extends DataVolumeGuardInputs {
  /** The major version found on the volume, or 0 when the volume held no cluster yet. */
  foundMajorVersion: number;
}

async function inspectVolume(inputs: DataVolumeGuardInputs): Promise<number> {
  const childProcess = process.getBuiltinModule("node:child_process");
  // Prints "old MAJOR" for the <=17 layout and "new MAJOR" for the 18+ layout.
  const script =
    'if [ -f /volume/PG_VERSION ]; then echo "old $(cat /volume/PG_VERSION)"; fi; ' +
    'for f in /volume/*/docker/PG_VERSION; do [ -f "$f" ] && echo "new $(cat "$f")"; done; true';
  const output = await new Promise<string>((resolve, reject) => {
    childProcess.execFile(
      "docker",
      [
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "sh",
        "-v",
        `${inputs.volumeName}:/volume:ro`,
        inputs.image,
        "-c",
        script,
      ],
      { timeout: 120_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`could not read the data volume ${inputs.volumeName}: ${stderr || error.message}`))
          : resolve(stdout),
    );
  });
  const found = output
    .split("\n")
    .map((line) => line.trim().split(" "))
    .filter((parts) => parts.length === 2)
    .map(([layout, major]) => ({ layout, major: Number(major) }));
  if (found.length === 0) return 0;
  const expectedLayout = inputs.majorVersion >= 18 ? "new" : "old";
  const mismatch = found.find((f) => f.major !== inputs.majorVersion || f.layout !== expectedLayout);
  if (mismatch) {
    throw new Error(
      `The data volume ${inputs.volumeName} holds a PostgreSQL ${mismatch.major} cluster, but the stack asks for ` +
        `PostgreSQL ${inputs.majorVersion} (confradar:postgresMajorVersion / confradar:postgresImage). ` +
        `A server cannot open another major version's data, so nothing was changed. To move the data: ` +
        `set the image and major version back, run \`npm run db:backup\`, then \`npm run db:reset -- --wipe-volume\` ` +
        `(or \`docker volume rm ${inputs.volumeName}\` after \`npm run destroy\`), set the new version, \`npm run up\`, ` +
        `and \`npm run db:restore\`. See docs/troubleshooting.md.`,
    );
  }
  return found[0]!.major;
}

export const dataVolumeGuardProvider: pulumi.dynamic.ResourceProvider<DataVolumeGuardInputs, DataVolumeGuardOutputs> = {
  async diff(_id, olds, news) {
    const changed = olds.majorVersion !== news.majorVersion || olds.image !== news.image || olds.volumeName !== news.volumeName;
    return { changes: changed };
  },
  async create(inputs) {
    const foundMajorVersion = await inspectVolume(inputs);
    return { id: `${inputs.volumeName}-guard`, outs: { ...inputs, foundMajorVersion } };
  },
  async update(_id, _olds, news) {
    const foundMajorVersion = await inspectVolume(news);
    return { outs: { ...news, foundMajorVersion } };
  },
  async delete() {},
};

export type DataVolumeGuardArgs = { [K in keyof DataVolumeGuardInputs]: pulumi.Input<DataVolumeGuardInputs[K]> };

export class DataVolumeGuard extends pulumi.dynamic.Resource {
  declare readonly foundMajorVersion: pulumi.Output<number>;

  constructor(name: string, args: DataVolumeGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(dataVolumeGuardProvider, name, { foundMajorVersion: undefined, ...args }, opts, "confradar", "DataVolumeGuard");
  }
}
