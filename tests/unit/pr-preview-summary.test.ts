import { describe, expect, it } from "vitest";
import {
  compareMigrations,
  foldOp,
  parseEventLog,
  type PreviewChanges,
  readPreviewEvents,
  UNKNOWN_VALUE,
} from "../../scripts/preview/changes.js";
import {
  COMMENT_LIMIT,
  COMMENT_MARKER,
  diffSection,
  headline,
  renderFailure,
  renderSummary,
  type SummaryInput,
} from "../../scripts/preview/markdown.js";

const STACK_URN = "urn:pulumi:p::confradar::pulumi:pulumi:Stack::confradar-p";
const urn = (type: string, name: string) => `urn:pulumi:p::confradar::${type}::${name}`;
const API = urn("confradar:app:AppService$docker:index/container:Container", "app-api");
const IMAGE = urn("confradar:app:AppService$docker:index/image:Image", "app-image");
const STEP = urn("confradar:database:Migrations$pulumi-nodejs:dynamic/confradar:MigrationStep", "schema-step");
const ROLE = urn("confradar:database:DatabaseAccess$postgresql:index/role:Role", "database-app-role");

const pre = (metadata: Record<string, unknown>) => ({ resourcePreEvent: { metadata, planning: true } });
const outputs = (metadata: Record<string, unknown>) => ({ resOutputsEvent: { metadata, planning: true } });

const noMigrations = { added: [], removed: [], edited: [], outOfOrder: [] };
const commits = { base: { sha: "a".repeat(40), label: "main" }, head: { sha: "b".repeat(40), label: "HEAD" } };
const nothing: PreviewChanges = { resources: [], outputs: [], errors: [] };

describe("reading the preview's engine events", () => {
  it("folds the engine's step ops into create, update, replace and delete", () => {
    expect(
      ["create", "update", "replace", "create-replacement", "delete-replaced", "delete", "same", "read", "refresh"].map(foldOp),
    ).toEqual(["create", "update", "replace", "replace", "replace", "delete", undefined, undefined, undefined]);
  });

  it("one entry per resource: a delete-before-replace's three steps are one replacement, with the keys that force it", () => {
    const changes = readPreviewEvents([
      pre({ op: "same", urn: STACK_URN, type: "pulumi:pulumi:Stack", old: { outputs: { appUrl: "http://127.0.0.1:1/" } } }),
      pre({
        op: "update",
        urn: IMAGE,
        type: "docker:index/image:Image",
        diffs: ["build"],
        detailedDiff: { "build.contextDigest": { kind: "update" } },
      }),
      pre({ op: "delete-replaced", urn: API, type: "docker:index/container:Container", keys: ["image"], diffs: ["image"] }),
      pre({ op: "replace", urn: API, type: "docker:index/container:Container", keys: ["image"], diffs: ["image"] }),
      pre({ op: "create-replacement", urn: API, type: "docker:index/container:Container", keys: ["image"], diffs: ["image"] }),
      pre({ op: "same", urn: ROLE, type: "postgresql:index/role:Role" }),
      outputs({ urn: STACK_URN, type: "pulumi:pulumi:Stack", new: { outputs: { appUrl: "http://127.0.0.1:1/" } } }),
    ]);
    expect(changes.resources).toEqual([
      { change: "update", urn: IMAGE, name: "app-image", type: "docker:index/image:Image", properties: ["build"] },
      { change: "replace", urn: API, name: "app-api", type: "docker:index/container:Container", properties: ["image"] },
    ]);
    expect(changes.outputs).toEqual([]);
    expect(changes.errors).toEqual([]);
  });

  it("takes the replacing properties from the detailed diff when the step names no keys", () => {
    const changes = readPreviewEvents([
      pre({
        op: "replace",
        urn: API,
        type: "docker:index/container:Container",
        detailedDiff: { image: { diffKind: "update-replace" }, envs: { diffKind: "update" } },
      }),
    ]);
    expect(changes.resources[0]?.properties).toEqual(["image"]);
  });

  it("outputs added, removed and changed (an unknown value stays unknown); the migration step's pending; error diagnostics", () => {
    const changes = readPreviewEvents([
      pre({ op: "same", urn: STACK_URN, type: "pulumi:pulumi:Stack", old: { outputs: { a: 1, gone: "x", same: [1] } } }),
      pre({
        op: "update",
        urn: STEP,
        type: "pulumi-nodejs:dynamic/confradar:MigrationStep",
        new: { inputs: { pending: ["2_b"] } },
        diffs: ["migrationsHash"],
      }),
      { diagnosticEvent: { severity: "warning", message: "a warning" } },
      { diagnosticEvent: { severity: "error", message: "  it broke\n" } },
      outputs({ urn: STACK_URN, type: "pulumi:pulumi:Stack", new: { outputs: { a: UNKNOWN_VALUE, same: [1], fresh: true } } }),
    ]);
    expect(changes.outputs).toEqual([
      { name: "a", change: "changed", before: 1, after: UNKNOWN_VALUE },
      { name: "fresh", change: "added", after: true },
      { name: "gone", change: "removed", before: "x" },
    ]);
    expect(changes.stepPending).toEqual(["2_b"]);
    expect(changes.errors).toEqual(["it broke"]);
  });

  it("parses one event per line and names a line that is not JSON", () => {
    expect(parseEventLog('{"sequence":1}\n\n{"sequence":2}\n')).toHaveLength(2);
    expect(() => parseEventLog('{"sequence":1}\n{oops')).toThrow(/line 2 of the preview's events is not JSON/);
  });
});

describe("comparing the base's and the head's migrations", () => {
  const files = (entries: Record<string, string>) => ({ names: Object.keys(entries).sort(), hash: "", digests: entries });

  it("added, removed, edited, and added ones that sort before the base's last", () => {
    const base = files({ "1_a": "x", "3_c": "y", "4_d": "z" });
    const head = files({ "1_a": "x", "2_b": "new", "3_c": "edited", "5_e": "new" });
    expect(compareMigrations(base, head)).toEqual({
      added: ["2_b", "5_e"],
      removed: ["4_d"],
      edited: ["3_c"],
      outOfOrder: ["2_b"],
    });
    expect(compareMigrations(base, base)).toEqual(noMigrations);
  });
});

describe("the comment", () => {
  const input = (over: Partial<SummaryInput>): SummaryInput => ({
    ...commits,
    changes: nothing,
    migrations: noMigrations,
    diffText: "",
    ...over,
  });

  it("says so when nothing changes", () => {
    expect(headline(input({}))).toMatch(/^This pull request changes nothing in the stack/);
    const body = renderSummary(input({ diffText: "Resources:\n    20 unchanged\n" }));
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain("None: the head has no migration that main has not applied.");
    expect(body).toContain("None to create, update, replace or delete.");
  });

  it("leads with the migrations, the replacements with the property forcing each, and whether roles change", () => {
    const changes: PreviewChanges = {
      resources: [
        {
          change: "update",
          urn: STEP,
          name: "schema-step",
          type: "pulumi-nodejs:dynamic/confradar:MigrationStep",
          properties: ["migrationsHash"],
        },
        { change: "replace", urn: API, name: "app-api", type: "docker:index/container:Container", properties: ["image"] },
      ],
      outputs: [{ name: "appliedMigrations", change: "changed", before: ["1_a"], after: UNKNOWN_VALUE }],
      errors: [],
    };
    const body = renderSummary(input({ changes, migrations: { ...noMigrations, added: ["2_b"] } }));
    expect(body).toContain(
      "**This pull request adds 1 migration (`2_b`), replaces `app-api`, updates `schema-step`, changes no role and changes the output `appliedMigrations`.**",
    );
    expect(body).toContain("| replace | `app-api` | Container | forced by `image` |");
    expect(body).toContain('| `appliedMigrations` | changed | `["1_a"]` | _known after `up`_ |');
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[secret]" };
    const secretOutput = renderSummary(
      input({ changes: { ...nothing, outputs: [{ name: "s", change: "changed", before: secret, after: UNKNOWN_VALUE }] } }),
    );
    expect(secretOutput).toContain("| `s` | changed | _secret_ | _known after `up`_ |");
    const role = {
      change: "update" as const,
      urn: ROLE,
      name: "database-app-role",
      type: "postgresql:index/role:Role",
      properties: ["password"],
    };
    expect(headline(input({ changes: { ...nothing, resources: [role] } }))).not.toContain("changes no role");
  });

  it("names the resources of each kind of change by name, whatever order the engine's events came in", () => {
    const container = (name: string) => ({
      change: "replace" as const,
      urn: `${API}-${name}`,
      name,
      type: "docker:index/container:Container",
      properties: ["image"],
    });
    for (const order of [
      ["app-api", "app-worker"],
      ["app-worker", "app-api"],
    ]) {
      const changes: PreviewChanges = { ...nothing, resources: order.map(container) };
      expect(headline(input({ changes }))).toContain("replaces `app-api`, `app-worker`");
    }
  });

  it("warns about edited, removed and out-of-order migrations", () => {
    const body = renderSummary(input({ migrations: { added: ["0_z"], removed: ["4_d"], edited: ["3_c"], outOfOrder: ["0_z"] } }));
    expect(body).toMatch(/`0_z` ⚠️ sorts before main's last migration/);
    expect(body).toMatch(/Edited after main applied them: `3_c`/);
    expect(body).toMatch(/Removed from the head: `4_d`/);
  });

  it("stays under GitHub's limit with a huge diff, cut at a line, and saying so", () => {
    const diffText = Array.from({ length: 20_000 }, (_, i) => `    ~ line ${i}: "value"`).join("\n");
    const body = renderSummary(input({ diffText }));
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body.length).toBeGreaterThan(COMMENT_LIMIT - 2_000);
    expect(body).toMatch(/"value"\n```\n\n_Cut here: [\d,]+ more characters/);
    expect(body.trimEnd().endsWith("</details>")).toBe(true);
  });

  it("keeps a diff with backticks inside its fence", () => {
    const section = diffSection("a ``` b\n", 10_000);
    expect(section).toContain("````diff\na ``` b\n````");
  });

  it("a preview that could not run says so, with the reason", () => {
    const body = renderFailure({ ...commits, reason: "`pulumi up` of the base main failed" });
    expect(body).toContain(COMMENT_MARKER);
    expect(body).toContain("could not run");
    expect(body).toContain("```\n`pulumi up` of the base main failed\n```");
  });
});
