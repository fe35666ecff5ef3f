// The infra program's own dynamic providers under the real engine (CLI, language host, ESM program,
// serialized provider closures), against the local postgres image in Docker: the migration step
// (pending shown by preview, applied by up, nothing on a second up, a failure changes nothing) and
// the data-volume guard (refuses a volume of another major version).
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import localImages from "../../images/local-images.json" with { type: "json" };
import { repoRoot } from "../../scripts/pulumi/offline-env.js";
import {
  freeLoopbackPort,
  removeLabelled,
  requireDocker,
  requireImage,
  requireToolchain,
  sh,
  startLocalPostgres,
  type ThrowawayProject,
  throwawayProject,
} from "./pulumiProject.js";

const runId = `${process.pid}-${Date.now().toString(36)}`;
const label = "org.confradar.infra-steps-run";
const program = path.join(repoRoot, "tests", "toolchain", "programs", "infraSteps.ts");
const localMajor = Number(localImages.postgres.split(":").pop()!.match(/^\d+/)![0]);

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The `pending` input the migration step's check put into the preview. */
function pendingFromEvents(events: EngineEvent[]): string[] | undefined {
  for (const event of events) {
    const meta = event.resourcePreEvent?.metadata;
    if (meta?.type.endsWith(":MigrationStep")) return (meta.new?.inputs?.pending as string[] | undefined) ?? [];
  }
  return undefined;
}

function writeMigration(dir: string, name: string, upSql: string): void {
  writeFileSync(
    path.join(dir, `${name}.ts`),
    `import type { MigrationBuilder } from "node-pg-migrate";\n` +
      `export async function up(pgm: MigrationBuilder): Promise<void> {\n${upSql}\n}\n` +
      `export const down = false;\n`,
  );
}

describe("the migration step under the real engine", () => {
  let project: ThrowawayProject | undefined;
  let migrationsDir = "";
  let url = "";

  beforeAll(async () => {
    requireDocker();
    requireToolchain();
    requireImage(localImages.postgres);
    const port = await freeLoopbackPort();
    const password = randomBytes(12).toString("hex");
    await startLocalPostgres({
      image: localImages.postgres,
      name: `confradar-steps-${runId}`,
      label: `${label}=${runId}`,
      runArgs: ["-e", `POSTGRES_PASSWORD=${password}`, "-p", `127.0.0.1:${port}:5432`],
    });
    url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    migrationsDir = mkdtempSync(path.join(tmpdir(), "confradar-migrations-"));
    cpSync(path.join(repoRoot, "migrations"), migrationsDir, { recursive: true });
    project = await throwawayProject({
      name: "confradar-infra-steps",
      main: program,
      stackName: "migrations",
      config: {
        mode: { value: "migrations" },
        projectDir: { value: repoRoot },
        migrationsDir: { value: migrationsDir },
        databaseUrl: { value: url, secret: true },
        serverInstance: { value: "server-1" },
      },
    });
  });

  afterAll(async () => {
    try {
      await project?.remove();
    } finally {
      removeLabelled(label, runId);
      if (migrationsDir) rmSync(migrationsDir, { recursive: true, force: true });
    }
  });

  const shipped = () =>
    readdirSync(path.join(repoRoot, "migrations"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();

  it("preview lists every migration as pending on an empty database", async () => {
    const events: EngineEvent[] = [];
    await project!.stack.preview({ onEvent: (e) => events.push(e), onOutput: () => {} });
    expect(pendingFromEvents(events)).toEqual(shipped());
  });

  it("up applies them all and outputs the applied list and the server version", async () => {
    const result = await project!.stack.up({ onOutput: () => {} });
    expect(result.outputs.applied?.value).toEqual(shipped());
    expect(String(result.outputs.serverVersion?.value)).toMatch(new RegExp(`^${localMajor}\\.`));
    const tables = await query<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('public', 'migration_ledger')",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(["conferences", "deadlines", "ingest_runs", "pgmigrations"]),
    );
  });

  it("a second up with the same files changes nothing", async () => {
    const result = await project!.stack.up({ onOutput: () => {} });
    expect(result.summary.resourceChanges).toEqual({ same: 2 }); // the stack and the step
  });

  it("a new migration file: preview shows exactly it pending, up applies exactly it", async () => {
    writeMigration(migrationsDir, "20991231000000000_add-notes", `  pgm.createTable("test_notes", { id: "id", body: "text" });`);
    const events: EngineEvent[] = [];
    await project!.stack.preview({ onEvent: (e) => events.push(e), onOutput: () => {} });
    expect(pendingFromEvents(events)).toEqual(["20991231000000000_add-notes"]);
    const result = await project!.stack.up({ onOutput: () => {} });
    expect(result.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(result.outputs.applied?.value).toEqual([...shipped(), "20991231000000000_add-notes"]);
    const rows = await query<{ name: string }>(url, "SELECT name FROM migration_ledger.pgmigrations ORDER BY id DESC LIMIT 1");
    expect(rows[0]?.name).toBe("20991231000000000_add-notes");
  });

  it("a failing migration fails up with its error and leaves the database as it was", async () => {
    writeMigration(
      migrationsDir,
      "20991231000001000_broken",
      `  pgm.createTable("should_not_exist", { id: "id" });\n  pgm.sql("SELECT no_such_function()");`,
    );
    const failure = await project!.stack.up({ onOutput: () => {} }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toContain("migrations failed");
    expect(failure?.message).toContain("20991231000001000_broken");
    expect(failure?.message).toMatch(/no_such_function/);
    const tables = await query<{ n: string }>(
      url,
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'should_not_exist'",
    );
    expect(Number(tables[0]!.n)).toBe(0);
    const applied = await query<{ n: string }>(url, "SELECT count(*) AS n FROM migration_ledger.pgmigrations");
    expect(Number(applied[0]!.n)).toBe(shipped().length + 1);

    // The state kept the last good inputs: without the broken file there is nothing to do.
    rmSync(path.join(migrationsDir, "20991231000001000_broken.ts"));
    const preview = await project!.stack.preview({ onOutput: () => {} });
    expect(preview.changeSummary).toEqual({ same: 2 });
  });
});

describe("the data-volume guard under the real engine", () => {
  let project: ThrowawayProject | undefined;
  const volume = `confradar-guard-${runId}`;

  beforeAll(async () => {
    requireDocker();
    requireToolchain();
    requireImage(localImages.postgres);
    // A volume holding a cluster of the local image's major version.
    expect(sh("docker", ["volume", "create", "--label", `${label}=${runId}`, volume]).status).toBe(0);
    const initName = await startLocalPostgres({
      image: localImages.postgres,
      name: `confradar-guard-init-${runId}`,
      label: `${label}=${runId}`,
      runArgs: ["-e", "POSTGRES_PASSWORD=x", "-v", `${volume}:/var/lib/postgresql/data`],
    });
    const version = sh("docker", ["exec", initName, "cat", "/var/lib/postgresql/data/PG_VERSION"]).stdout.trim();
    expect(version).toBe(String(localMajor));
    sh("docker", ["rm", "-f", initName]);
    project = await throwawayProject({
      name: "confradar-infra-guard",
      main: program,
      stackName: "guard",
      config: {
        mode: { value: "guard" },
        volumeName: { value: volume },
        image: { value: localImages.postgres },
        majorVersion: { value: String(localMajor + 1) },
      },
    });
  });

  afterAll(async () => {
    try {
      await project?.remove();
    } finally {
      removeLabelled(label, runId);
    }
  });

  it("refuses a volume of another major version, saying how to move the data", async () => {
    const failure = await project!.stack.up({ onOutput: () => {} }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toContain(
      `holds a PostgreSQL ${localMajor} cluster, but the stack asks for PostgreSQL ${localMajor + 1}`,
    );
    expect(failure?.message).toContain("db:backup");
  });

  it("accepts the volume at its own major version", async () => {
    await project!.stack.setConfig("majorVersion", { value: String(localMajor) });
    const result = await project!.stack.up({ onOutput: () => {} });
    expect(result.outputs.foundMajorVersion?.value).toBe(localMajor);
  });
});
