import * as pulumi from "@pulumi/pulumi";

/**
 * The pre-flight check of an existing server, as a dynamic provider.
 *
 * `check` runs on every preview and up: it connects as the admin role (infra/steps/check-server.ts)
 * and fails with the full list of what the role lacks, before any role, database or grant is
 * touched (they all wait for this resource). `create`, which runs when the stack's objects are about
 * to be created, also refuses when the server already has the stack's database or roles, which
 * CREATE would trip over halfway. A passing check changes nothing, so a second `up` reports 0 changes.
 *
 * As infra/providers/migrationStep.ts: the functions are serialized into the state and capture no
 * imports; the work happens in a child process of the project's code.
 */
export interface ExistingServerCheckInputs {
  /** Absolute path of the project (where node_modules and infra/steps live). */
  projectDir: string;
  /** The admin role's URL with the stack's TLS settings (secret). */
  adminUrl: string;
  /** The stack's database and role names: a new stack must not find them on the server. */
  databaseName: string;
  roleNames: string[];
}

export interface ExistingServerCheckOutputs extends ExistingServerCheckInputs {
  /** `server_version` of the server, when last checked. */
  serverVersion: string;
}

interface CheckResult {
  missing: string | null;
  leftovers: string | null;
  serverVersion: string;
}

async function runServerCheck(inputs: ExistingServerCheckInputs): Promise<CheckResult> {
  const childProcess = process.getBuiltinModule("node:child_process");
  const path = process.getBuiltinModule("node:path");
  const script = path.join(inputs.projectDir, "infra", "steps", "check-server.ts");
  return await new Promise<CheckResult>((resolve, reject) => {
    const child = childProcess.spawn(process.execPath, ["--import", "tsx", script], {
      cwd: inputs.projectDir,
      env: {
        ...process.env,
        ADMIN_URL: inputs.adminUrl,
        STACK_DATABASE: inputs.databaseName,
        STACK_ROLES: inputs.roleNames.join(","),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code: number | null) => {
      const lastLine = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0) {
        reject(
          new Error(`the existing server's check failed (exit ${code}): ${stderr.trim().split("\n").slice(-10).join("\n")}`),
        );
        return;
      }
      try {
        resolve(JSON.parse(lastLine) as CheckResult);
      } catch {
        reject(new Error(`the existing server's check printed no result line: ${stderr.trim().slice(-2000)}`));
      }
    });
  });
}

export const existingServerCheckProvider: pulumi.dynamic.ResourceProvider<ExistingServerCheckInputs, ExistingServerCheckOutputs> =
  {
    async check(_olds, news) {
      const result = await runServerCheck(news);
      return result.missing ? { inputs: news, failures: [{ property: "adminUrl", reason: result.missing }] } : { inputs: news };
    },

    async diff(_id, olds, news) {
      const changed =
        olds.adminUrl !== news.adminUrl ||
        olds.databaseName !== news.databaseName ||
        olds.roleNames.join(",") !== news.roleNames.join(",");
      return { changes: changed };
    },

    async create(inputs) {
      const result = await runServerCheck(inputs);
      if (result.missing) throw new Error(result.missing);
      if (result.leftovers) throw new Error(result.leftovers);
      return { id: `existing-server-${inputs.databaseName}`, outs: { ...inputs, serverVersion: result.serverVersion } };
    },

    async update(_id, _olds, news) {
      const result = await runServerCheck(news);
      if (result.missing) throw new Error(result.missing);
      return { outs: { ...news, serverVersion: result.serverVersion } };
    },

    // The check owns nothing on the server.
    async delete() {},
  };

export type ExistingServerCheckArgs = {
  [K in keyof ExistingServerCheckInputs]: pulumi.Input<ExistingServerCheckInputs[K]>;
};

export class ExistingServerCheck extends pulumi.dynamic.Resource {
  declare readonly serverVersion: pulumi.Output<string>;

  constructor(name: string, args: ExistingServerCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      existingServerCheckProvider,
      name,
      { serverVersion: undefined, ...args },
      { ...opts, additionalSecretOutputs: ["adminUrl"] },
      "confradar",
      "ExistingServerCheck",
    );
  }
}
