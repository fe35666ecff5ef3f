// The real Pulumi engine, built here by scripts/toolchain/install (CLI and Node.js language host),
// driven through the Automation API with the project's offline environment and a file backend.
// Every prerequisite that is missing fails the test with the script that provides it.
//
// The docker, random and postgresql resources run through the offline provider plugins in
// offline-plugins-*.test.ts and the whole stack in tests/e2e; the project's own dynamic providers
// are exercised for real in infra-steps.test.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeVersionProblem, requiredNodeRange } from "../../app/src/node-version.js";
import { requireToolchain, type ThrowawayProject, throwawayProject } from "./pulumiProject.js";

const secretToken = `t-${process.pid}-${Date.now().toString(36)}`;

describe("Pulumi engine built here (CLI, Node.js language host, dynamic providers, file backend)", () => {
  let project: ThrowawayProject | undefined;

  afterAll(async () => {
    await project?.remove();
  });

  it("runs up twice (second time no changes) and destroy, offline, secrets encrypted in state", async () => {
    requireToolchain();
    project = await throwawayProject({
      name: "confradar-engine-smoke",
      stackName: "smoke",
      config: { word: { value: "radar" }, token: { value: secretToken, secret: true } },
      commonJsSource: `const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config();
const provider = {
  async create(inputs) {
    return { id: "word-" + inputs.word, outs: { word: inputs.word, length: inputs.word.length, providerNode: process.version } };
  },
};
class Word extends pulumi.dynamic.Resource {
  constructor(name, args, opts) { super(provider, name, { length: undefined, providerNode: undefined, ...args }, opts); }
}
const word = new Word("word", { word: config.require("word") });
exports.length = word.length;
exports.providerNode = word.providerNode;
exports.programNode = process.version;
exports.token = config.requireSecret("token");
`,
    });
    const { stack } = project;
    const first = await stack.up({ onOutput: () => {} });
    expect(first.summary.result).toBe("succeeded");
    expect(first.outputs.length?.value).toBe(5);
    expect(first.outputs.token?.secret).toBe(true);
    // The program and its dynamic provider run on the Node that runs this test (the project's
    // commands put it first on PATH for the language host), which meets package.json engines.node.
    expect(first.outputs.programNode?.value).toBe(process.version);
    expect(first.outputs.providerNode?.value).toBe(process.version);
    expect(nodeVersionProblem(process.version, requiredNodeRange(), process.execPath)).toBeUndefined();
    expect(first.summary.resourceChanges?.create).toBe(2); // the stack and the dynamic resource

    const second = await stack.up({ onOutput: () => {} });
    expect(second.summary.resourceChanges).toEqual({ same: 2 });

    // The checkpoint file itself (exportStack would decrypt): the secret is there only encrypted.
    const checkpoint = readFileSync(
      path.join(project.dir, "state", ".pulumi", "stacks", "confradar-engine-smoke", "smoke.json"),
      "utf8",
    );
    expect(checkpoint).toContain('"length":5');
    expect(checkpoint).not.toContain(secretToken);

    const destroyed = await stack.destroy({ onOutput: () => {} });
    expect(destroyed.summary.resourceChanges?.delete).toBe(2);
  });
});
