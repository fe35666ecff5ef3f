// The whole lifecycle of the ci stack, through the README's commands (`npm run up -- --stack ci`,
// preview, refresh, destroy), on whichever provider plugins the machine has: the offline ones here,
// the official ones in GitHub's workflow. One stack, scenarios in order, each step timed; state in a
// throwaway backend. Numbers match issue #15's list.
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/stack/stack.js";
import { requireDocker, sh } from "../toolchain/pulumiProject.js";
import { checkPageInBrowser } from "./browser.js";
import {
  anonymousVolumes,
  artifactsDir,
  containerId,
  createMarker,
  dockerNames,
  filesContaining,
  health,
  httpGet,
  markerExists,
  passwordsIn,
  publishedHostIps,
  query,
  sqlState,
  committedMigrations,
  StackCommands,
  superuserSql,
  waitUntil,
} from "./stackCommands.js";
import { claimStack, releaseStack } from "./stackLeftovers.js";

const ci = new StackCommands("ci");
const postgres = "confradar-ci-postgres";
const apps = ["confradar-ci-api", "confradar-ci-worker"];
const anonymousBefore = new Set<string>();
let outputs: Record<string, unknown> = {};
const url = (role: string) => String(outputs[`${role}ConnectionString`]);
let marker = "";

/** A migration written into migrations/ for one scenario, removed afterwards. */
function writeMigration(name: string, body: string): string {
  const file = path.join(repoRoot, "migrations", `${name}.ts`);
  writeFileSync(file, `import type { MigrationBuilder } from "node-pg-migrate";\n\n${body}\n`);
  return file;
}
/** Migration names in the `pending` list of a `preview --diff`. */
function pendingIn(output: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => /\bpending\s*:/.test(line));
  if (start < 0) return [];
  const names: string[] = [];
  for (const line of lines.slice(start)) {
    names.push(...[...line.matchAll(/"(\d{17}_[^"]+)"/g)].map((m) => m[1]!));
    if (/^\s*[~+-]?\s*\]\s*$/.test(line)) break;
  }
  return names;
}

/** Names of the resources a `preview --diff` would replace. */
function replacedIn(output: string): string[] {
  const lines = output.split("\n");
  const names: string[] = [];
  lines.forEach((line, i) => {
    if (!/\((replace|create-replacement|delete-replaced)\)/.test(line)) return;
    const urn = lines
      .slice(i, i + 5)
      .join("\n")
      .match(/\[urn=(\S+)\]/)?.[1];
    names.push(urn ? urn.split("::").pop()! : line.trim());
  });
  return [...new Set(names)];
}

const probeMigration = "29991231000000000_e2e-probe";
const failingMigration = "29991231000000001_e2e-fails-halfway";

beforeAll(() => {
  requireDocker();
  claimStack("ci", "npm run destroy -- --stack ci --wipe-volume");
  for (const volume of anonymousVolumes()) anonymousBefore.add(volume);
});

afterAll(async () => {
  for (const name of [probeMigration, failingMigration]) rmSync(path.join(repoRoot, "migrations", `${name}.ts`), { force: true });
  // Whatever happened above, leave nothing running and no data volume behind.
  await ci.run("destroy", ["--wipe-volume"], "cleanup destroy --wipe-volume");
  ci.restore();
  releaseStack("ci");
  const failed = ci.attempts.filter((a) => !a.ok);
  console.log(`[e2e ci] up/destroy on the first try: ${ci.attempts.length - failed.length} of ${ci.attempts.length}`);
});

describe("the ci stack, end to end", () => {
  it("1. cold `up`: every container healthy, migrations applied, least privilege, loopback only, no password in plain text", async () => {
    const up = await ci.must("up", [], "cold up");
    expect(up.output).toMatch(/^Provider plugins: (the official|ConfRadar's offline)/m);
    expect(up.output).toContain(`migrations: ${committedMigrations} applied`);
    outputs = await ci.outputs();
    for (const name of [postgres, ...apps]) expect(health(name), name).toBe("healthy");
    for (const key of ["appUrl", "postgresPort", "databaseName", "volumeName", "networkName", "serverVersion"])
      expect(outputs[key], key).toBeDefined();
    expect(outputs.appliedMigrations).toHaveLength(committedMigrations);

    // Each role's connection string works.
    for (const role of ["migrator", "app", "readonly", "superuser"])
      expect((await query<{ u: string }>(url(role), "SELECT current_user AS u"))[0]!.u).toBe(
        role === "superuser" ? "postgres" : `confradar_${role}`,
      );
    // The app role changes rows, not the schema; read-only reads; only the migrator writes the ledger.
    expect(await sqlState(url("app"), "CREATE TABLE e2e_should_fail (id int)")).toBe("42501");
    expect(await sqlState(url("app"), "SELECT count(*) FROM conferences")).toBe("ok");
    expect(await sqlState(url("readonly"), "INSERT INTO topics (slug, name) VALUES ('e2e', 'e2e')")).toBe("42501");
    expect(await sqlState(url("readonly"), "SELECT count(*) FROM conferences")).toBe("ok");
    expect(await sqlState(url("app"), "SELECT count(*) FROM migration_ledger.pgmigrations")).toBe("ok");
    expect(await sqlState(url("app"), "DELETE FROM migration_ledger.pgmigrations")).toBe("42501");
    expect(await sqlState(url("app"), "INSERT INTO migration_ledger.pgmigrations (name, run_on) VALUES ('forged', now())")).toBe(
      "42501",
    );
    expect(await sqlState(url("migrator"), "CREATE SCHEMA e2e_owner_can_create; DROP SCHEMA e2e_owner_can_create")).toBe("ok");
    // PUBLIC may not connect: a role with no grant of its own is refused.
    superuserSql(postgres, "postgres", "CREATE ROLE e2e_nobody LOGIN PASSWORD 'e2e-nobody-pw'");
    try {
      const nobody = new URL(url("readonly"));
      nobody.username = "e2e_nobody";
      nobody.password = "e2e-nobody-pw";
      expect(await sqlState(nobody.href, "SELECT 1")).toBe("42501");
    } finally {
      superuserSql(postgres, "postgres", "DROP ROLE e2e_nobody");
    }
    // Published ports listen on 127.0.0.1 only.
    for (const name of [postgres, ...apps]) for (const ip of publishedHostIps(name)) expect(ip, name).toBe("127.0.0.1");
    expect(publishedHostIps(postgres)).toHaveLength(1);
    // No password in the state, the command output or the outputs shown without --show-secrets.
    const passwords = passwordsIn(outputs);
    expect(passwords.every((p) => p.length >= 24)).toBe(true);
    expect(filesContaining(ci.stateFiles(), passwords)).toEqual([]);
    const plainOutputs = await ci.must("outputs");
    for (const password of passwords) {
      expect(up.output.includes(password)).toBe(false);
      expect(plainOutputs.output.includes(password)).toBe(false);
    }
    marker = await createMarker(String(outputs.appUrl), "CI");
    expect(await markerExists(url("app"), marker)).toBe(true);
  });

  it("2. a second `up` and `preview` change nothing; `refresh` finds no drift", async () => {
    await ci.must("up", ["--expect-no-changes"], "no-op up");
    await ci.must("preview", ["--expect-no-changes"], "preview");
    const refresh = await ci.must("refresh", [], "refresh");
    expect(refresh.output).not.toMatch(/[~+-] \d+ (updated|created|deleted)/);
    await ci.must("preview", ["--expect-no-changes"], "preview after refresh");
  });

  it("3. the page in a real browser: the dataset shows, a conference created through the API shows up", async () => {
    // The ci stack's worker imports nothing on a schedule (ingestIntervalSeconds 0): run one
    // import as an operator would, with the image's own command.
    const ingest = sh("docker", ["exec", apps[1]!, "node", "dist/app/src/main.js", "ingest"]);
    expect(ingest.status, ingest.stderr).toBe(0);
    const screenshotPath = path.join(artifactsDir, "page-ci.png");
    const started = performance.now();
    const page = await checkPageInBrowser({ appUrl: String(outputs.appUrl), screenshotPath });
    ci.timings.push({ step: "ci: browser check", seconds: (performance.now() - started) / 1000 });
    console.log(`[e2e ci] page screenshot: ${page.screenshotPath} (chromium ${page.chromiumVersion})`);
    expect(page.rowsShown).toBeGreaterThan(100);
    expect(page.foundAfterReload).toBe(true);
    expect(page.foundBySearch).toBe(true);
    expect(page.blockedRequests).toEqual([]);
  });

  it("4a. data survive a Postgres restart; the app is ready again by itself", async () => {
    expect(sh("docker", ["restart", postgres]).status).toBe(0);
    const seconds = await waitUntil("the api ready after the restart", async () => {
      return (await httpGet(new URL("/readyz", String(outputs.appUrl)).href)).status === 200;
    });
    ci.timings.push({ step: "ci: api ready after a Postgres restart", seconds });
    expect(await markerExists(url("app"), marker)).toBe(true);
  });

  it("4b. data survive a Postgres replacement; the app containers are not replaced", async () => {
    const before = { postgres: containerId(postgres), api: containerId(apps[0]!), worker: containerId(apps[1]!) };
    ci.setConfig({ stopGraceSeconds: "91" }); // the container's stop timeout: forces a replacement
    const up = await ci.must("up", [], "up replacing Postgres");
    expect(up.output).toMatch(/replaced/);
    expect(containerId(postgres)).not.toBe(before.postgres);
    expect(containerId(apps[0]!)).toBe(before.api);
    expect(containerId(apps[1]!)).toBe(before.worker);
    expect(health(postgres)).toBe("healthy");
    expect(await markerExists(url("app"), marker)).toBe(true);
    await ci.must("preview", ["--expect-no-changes"], "preview after the replacement");
  });

  it("5. a new migration: `preview` lists exactly it, `up` applies it alone, Postgres and the roles stay", async () => {
    writeMigration(
      probeMigration,
      `export async function up(pgm: MigrationBuilder): Promise<void> {\n  pgm.createTable("e2e_probe", { id: "id" });\n}\n\n` +
        `export async function down(pgm: MigrationBuilder): Promise<void> {\n  pgm.dropTable("e2e_probe");\n}`,
    );
    const postgresBefore = containerId(postgres);
    const preview = await ci.must("preview", [], "preview a new migration");
    expect(pendingIn(preview.output)).toEqual([probeMigration]);
    // Nothing of the database is replaced: the app image carries the migrations (its /readyz
    // compares them with the ledger), so only the app's image and containers may be.
    expect(replacedIn(preview.output).filter((name) => !/^app-(api|worker)$/.test(name))).toEqual([]);
    const up = await ci.must("up", [], "up with the new migration");
    expect(up.output).toContain(`migrations: ${committedMigrations + 1} applied`);
    const ledger = await query<{ name: string }>(url("migrator"), "SELECT name FROM migration_ledger.pgmigrations ORDER BY id");
    expect(ledger.map((r) => r.name)).toHaveLength(committedMigrations + 1);
    expect(ledger.at(-1)!.name).toBe(probeMigration);
    expect(containerId(postgres)).toBe(postgresBefore);
    expect(await markerExists(url("app"), marker)).toBe(true);
    // Back to the committed set: down with the migrator, then the file goes, then `up`.
    const down = spawnSync("npm", ["run", "-s", "migrate:down"], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: url("migrator") },
    });
    expect(down.status, down.stderr).toBe(0);
    rmSync(path.join(repoRoot, "migrations", `${probeMigration}.ts`));
    const back = await ci.must("up", [], "up without the probe migration");
    expect(back.output).toContain(`migrations: ${committedMigrations} applied`);
  });

  it("6. drift: a container removed and a role dropped by hand are reported by `refresh` and put back by `up`", async () => {
    expect(sh("docker", ["rm", "-f", apps[1]!]).status).toBe(0);
    superuserSql(postgres, "confradar", "DROP OWNED BY confradar_readonly");
    superuserSql(postgres, "postgres", "DROP OWNED BY confradar_readonly; DROP ROLE confradar_readonly");
    const refresh = await ci.must("refresh", [], "refresh after hand-made drift");
    expect(refresh.output).toMatch(/app-worker/);
    expect(refresh.output).toMatch(/readonly-role/);
    expect(refresh.output).toMatch(/deleted/);
    await ci.must("up", [], "up healing the drift");
    expect(health(apps[1]!)).toBe("healthy");
    expect(await sqlState(url("readonly"), "SELECT count(*) FROM conferences")).toBe("ok");
    expect(await sqlState(url("readonly"), "DELETE FROM conferences")).toBe("42501");
    await ci.must("preview", ["--expect-no-changes"], "preview after healing");
  });

  it("7. a failing migration: `up` fails naming the file, nothing is half applied, the app keeps serving", async () => {
    writeMigration(
      failingMigration,
      `export async function up(pgm: MigrationBuilder): Promise<void> {\n  pgm.createTable("e2e_half", { id: "id" });\n  pgm.sql("SELECT 1 / 0");\n}\n\n` +
        `export async function down(): Promise<void> {}`,
    );
    const apiBefore = containerId(apps[0]!);
    const up = await ci.run("up", [], "up with a failing migration");
    expect(up.code).not.toBe(0);
    expect(up.output).toContain(failingMigration);
    expect(await query(url("migrator"), "SELECT to_regclass('public.e2e_half') AS t")).toEqual([{ t: null }]);
    const ledger = await query<{ name: string }>(url("migrator"), "SELECT name FROM migration_ledger.pgmigrations");
    expect(ledger.map((r) => r.name)).not.toContain(failingMigration);
    expect(containerId(apps[0]!)).toBe(apiBefore);
    expect((await httpGet(new URL("/readyz", String(outputs.appUrl)).href)).status).toBe(200);
    rmSync(path.join(repoRoot, "migrations", `${failingMigration}.ts`));
    // The failed attempt is not counted against the first-try record: it was meant to fail.
    ci.attempts.pop();
    await ci.must("up", [], "up after removing the failing migration");
    await ci.must("preview", ["--expect-no-changes"], "preview after the failed migration");
  });

  it("4c. with retainVolume, data survive `destroy` → `up`; `destroy --wipe-volume` starts empty", async () => {
    ci.setConfig({ retainVolume: "true" });
    await ci.must("up", [], "up with retainVolume");
    await ci.must("destroy", [], "destroy keeping the volume");
    expect(dockerNames("ps", "confradar-ci-")).toEqual([]);
    expect(dockerNames("volume", "confradar-ci-")).toEqual(["confradar-ci-pgdata"]);
    const up = await ci.must("up", [], "up on the kept volume");
    expect(up.output).toContain(`migrations: ${committedMigrations} applied`);
    outputs = await ci.outputs();
    expect(await markerExists(url("app"), marker)).toBe(true);
    expect(await sqlState(url("app"), "CREATE TABLE e2e_should_fail (id int)")).toBe("42501");
    expect(await sqlState(url("app"), "DELETE FROM migration_ledger.pgmigrations")).toBe("42501");
    expect(await sqlState(url("readonly"), "DELETE FROM conferences")).toBe("42501");
    // No role of the previous generation is left behind.
    expect(superuserSql(postgres, "postgres", "SELECT count(*) FROM pg_roles WHERE rolname LIKE '%\\_\\_kept'")).toBe("0");
    await ci.must("preview", ["--expect-no-changes"], "preview on the kept volume");
    await ci.must("destroy", ["--wipe-volume"], "destroy --wipe-volume");
    expect(dockerNames("volume", "confradar-ci-")).toEqual([]);
    ci.setConfig({ retainVolume: "false" });
    await ci.must("up", [], "up on a new volume");
    outputs = await ci.outputs();
    expect(await markerExists(url("app"), marker)).toBe(false);
  });

  it("8. `up` and `destroy` succeed on their first try, cycle after cycle, and leave nothing behind", async () => {
    const cycles = 2;
    ci.setConfig({ retainVolume: "false" }); // as the stack file has it, whatever 4c left behind
    for (let cycle = 1; cycle <= cycles; cycle++) {
      await ci.must("destroy", [], `cycle ${cycle} destroy`);
      expect(dockerNames("ps", "confradar-ci-")).toEqual([]);
      expect(dockerNames("network", "confradar-ci-")).toEqual([]);
      expect(dockerNames("volume", "confradar-ci-")).toEqual([]);
      expect(anonymousVolumes().filter((v) => !anonymousBefore.has(v))).toEqual([]);
      await ci.must("up", [], `cycle ${cycle} up`);
      for (const name of [postgres, ...apps]) expect(health(name), name).toBe("healthy");
    }
    await ci.must("destroy", [], "final destroy");
    expect(dockerNames("ps", "confradar-ci-")).toEqual([]);
    expect(dockerNames("network", "confradar-ci-")).toEqual([]);
    expect(dockerNames("volume", "confradar-ci-")).toEqual([]);
    expect(anonymousVolumes().filter((v) => !anonymousBefore.has(v))).toEqual([]);
    expect(ci.attempts.filter((a) => !a.ok)).toEqual([]);
  });
});
