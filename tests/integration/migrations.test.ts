/**
 * The schema's migrations on whichever store this run uses: PGlite by default, a real server when
 * TEST_DATABASE_URL is set. Server-only behaviour (locks, concurrency) is in server/.
 */
import { spawn } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultMigrationsDir,
  listMigrationNames,
  MigrationError,
  MIGRATIONS_SCHEMA,
  migrationStatus,
  runMigrations,
} from "../../app/src/migrate/index.js";
import { repoRoot } from "../../app/src/paths.js";
import { emptyDatabase, testDatabaseKind, type TestDatabase } from "../helpers/database.js";
import { brokenMigration, compiledMigrations, migrationsCopy, rows } from "./migrations-support.js";

const kind = testDatabaseKind();
let db: TestDatabase;
let url: string;
let all: string[];
const tempDirs: string[] = [];

async function tempCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = await migrationsCopy(extra);
  tempDirs.push(dir);
  return dir;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "app/src/migrate/cli.ts", ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

async function publicTables(): Promise<string[]> {
  const r = await rows<{ table_name: string }>(
    url,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  return r.map((x) => x.table_name);
}

async function appliedNames(): Promise<string[]> {
  return (await rows<{ name: string }>(url, "SELECT name FROM migration_ledger.pgmigrations ORDER BY run_on, id")).map(
    (r) => r.name,
  );
}

/** Every table named pgmigrations, as schema.table. */
async function ledgerTables(): Promise<string[]> {
  const r = await rows<{ t: string }>(
    url,
    "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_name = 'pgmigrations' ORDER BY 1",
  );
  return r.map((x) => x.t);
}

beforeAll(async () => {
  db = await emptyDatabase();
  url = db.connectionString;
  all = await listMigrationNames();
});

afterAll(async () => {
  await db?.close();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe(`migrations on ${kind === "postgres" ? "a PostgreSQL server (TEST_DATABASE_URL)" : "embedded PGlite"}`, () => {
  it("runs against the store this mode names", async () => {
    expect(db.kind).toBe(kind);
    const [{ version }] = (await rows<{ version: string }>(url, "SELECT version()")) as [{ version: string }];
    if (kind === "pglite") expect(version).toMatch(/PGlite/);
    else expect(version).not.toMatch(/PGlite/);
  });

  it("has at least the five schema migrations, in UTC-prefix order", () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.every((n) => /^\d{17}_[a-z0-9-]+$/.test(n))).toBe(true);
    expect([...all].sort()).toEqual(all);
  });

  it("reports everything pending before the ledger's schema, then its table, exists", async () => {
    expect(await migrationStatus({ databaseUrl: url })).toEqual({ applied: [], pending: all });
    // What the deployed stack's infra does before the first migration: the schema, empty.
    await rows(url, `CREATE SCHEMA ${MIGRATIONS_SCHEMA}`);
    expect(await migrationStatus({ databaseUrl: url })).toEqual({ applied: [], pending: all });
  });

  it("migrates up to head from .ts files through the programmatic runner, the ledger outside public", async () => {
    const { ran } = await runMigrations({ databaseUrl: url });
    expect(ran).toEqual(all);
    expect(await migrationStatus({ databaseUrl: url })).toEqual({ applied: all, pending: [] });
    expect(await publicTables()).toEqual(["conference_topics", "conferences", "deadlines", "ingest_runs", "sources", "topics"]);
    expect(await ledgerTables()).toEqual(["migration_ledger.pgmigrations"]);
  });

  it("applies nothing on a second run", async () => {
    expect((await runMigrations({ databaseUrl: url })).ran).toEqual([]);
  });

  describe("catalog", () => {
    it("has the enum types with their values", async () => {
      const r = await rows<{ typname: string; labels: string }>(
        url,
        `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
           FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1`,
      );
      expect(r).toEqual([
        { typname: "conference_format", labels: "in_person,online,hybrid" },
        { typname: "deadline_kind", labels: "abstract,paper,supplementary,rebuttal,notification,camera_ready" },
        { typname: "ingest_status", labels: "running,succeeded,failed" },
      ]);
    });

    it("has identity bigint primary keys and the composite key of the join table", async () => {
      const r = await rows<{ table_name: string; cols: string }>(
        url,
        `SELECT tc.table_name, string_agg(k.column_name, ',' ORDER BY k.ordinal_position) AS cols
           FROM information_schema.table_constraints tc
           JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
          WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY'
          GROUP BY tc.table_name ORDER BY 1`,
      );
      expect(r).toEqual([
        { table_name: "conference_topics", cols: "conference_id,topic_id" },
        { table_name: "conferences", cols: "id" },
        { table_name: "deadlines", cols: "id" },
        { table_name: "ingest_runs", cols: "id" },
        { table_name: "sources", cols: "id" },
        { table_name: "topics", cols: "id" },
      ]);
      const ids = await rows<{ table_name: string; data_type: string; is_identity: string; identity_generation: string }>(
        url,
        `SELECT table_name, data_type, is_identity, identity_generation FROM information_schema.columns
          WHERE table_schema = 'public' AND column_name = 'id' ORDER BY 1`,
      );
      expect(ids).toHaveLength(5);
      for (const c of ids) expect(c).toMatchObject({ data_type: "bigint", is_identity: "YES", identity_generation: "ALWAYS" });
    });

    it("has the foreign keys with their delete rules", async () => {
      const r = await rows<{ tbl: string; col: string; ref: string; on_delete: string }>(
        url,
        `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col, c.confrelid::regclass::text AS ref,
                CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'a' THEN 'NO ACTION'
                                   WHEN 'r' THEN 'RESTRICT' ELSE c.confdeltype::text END AS on_delete
           FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace ORDER BY 1, 2`,
      );
      expect(r).toEqual([
        { tbl: "conference_topics", col: "conference_id", ref: "conferences", on_delete: "CASCADE" },
        { tbl: "conference_topics", col: "topic_id", ref: "topics", on_delete: "CASCADE" },
        { tbl: "conferences", col: "source_id", ref: "sources", on_delete: "SET NULL" },
        { tbl: "deadlines", col: "conference_id", ref: "conferences", on_delete: "CASCADE" },
      ]);
    });

    it("has the unique constraints", async () => {
      const r = await rows<{ conname: string; def: string }>(
        url,
        `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
          WHERE contype = 'u' AND connamespace = 'public'::regnamespace ORDER BY 1`,
      );
      expect(r).toEqual([
        { conname: "deadlines_conference_kind_key", def: "UNIQUE (conference_id, kind)" },
        { conname: "sources_dataset_url_key", def: "UNIQUE (dataset_name, url)" },
        { conname: "topics_slug_key", def: "UNIQUE (slug)" },
      ]);
      // One conference per acronym and year whatever the case: a unique index on an expression.
      const [index] = await rows<{ indexdef: string }>(
        url,
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'conferences_lower_acronym_year_key'",
      );
      expect(index?.indexdef).toMatch(/^CREATE UNIQUE INDEX .* \(lower\(acronym\), edition_year\)$/);
    });

    it("has the check constraints", async () => {
      const r = await rows<{ conname: string }>(
        url,
        `SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace ORDER BY 1`,
      );
      expect(r.map((x) => x.conname)).toEqual([
        "conferences_acronym_valid",
        "conferences_dates_order",
        "conferences_edition_year_range",
        "conferences_end_date_near_edition",
        "conferences_name_not_blank",
        "conferences_start_date_near_edition",
        "conferences_website_http",
        "deadlines_timezone_label_not_blank",
        "ingest_runs_counts_non_negative",
        "ingest_runs_failed_has_error",
        "ingest_runs_finished_after_start",
        "ingest_runs_finished_iff_done",
        "ingest_runs_trigger_valid",
        "sources_seen_order",
        "sources_url_http",
        "topics_name_not_blank",
        "topics_slug_format",
      ]);
    });

    it("has the lookup indexes", async () => {
      const r = await rows<{ indexname: string; indexdef: string }>(
        url,
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
      );
      const defs = Object.fromEntries(r.map((x) => [x.indexname, x.indexdef]));
      expect(defs.deadlines_due_at_idx).toMatch(/\(due_at\)/);
      expect(defs.ingest_runs_started_at_idx).toMatch(/\(started_at DESC\)/);
      expect(defs.conferences_lower_acronym_idx).toMatch(/lower\(acronym\) text_pattern_ops/);
      expect(defs.conferences_lower_name_idx).toMatch(/lower\(name\) text_pattern_ops/);
      expect(defs.conference_topics_topic_id_idx).toMatch(/\(topic_id\)/);
      expect(defs.conferences_source_id_idx).toMatch(/\(source_id\)/);
      expect(defs.conferences_start_date_idx).toMatch(/\(start_date\)/);
    });

    it("timestamps everything with timestamptz, created_at/updated_at on every table", async () => {
      const r = await rows<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
        url,
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
          WHERE table_schema = 'public'
            AND (data_type LIKE 'timestamp%' OR column_name IN ('created_at', 'updated_at')) ORDER BY 1, 2`,
      );
      expect(r.every((c) => c.data_type === "timestamp with time zone")).toBe(true);
      for (const t of ["sources", "conferences", "deadlines", "topics", "conference_topics", "ingest_runs"]) {
        for (const col of ["created_at", "updated_at"]) {
          expect(r).toContainEqual({ table_name: t, column_name: col, data_type: "timestamp with time zone", is_nullable: "NO" });
        }
      }
    });
  });

  describe("constraints at work", () => {
    async function expectViolation(sql: string, constraint: string): Promise<void> {
      await expect(rows(url, sql)).rejects.toMatchObject({ constraint });
    }

    it("rejects bad rows with the named constraint, and cascades deletes", async () => {
      await rows(url, "INSERT INTO sources (dataset_name, dataset_version, url) VALUES ('d', '1', 'https://x.test/a')");
      await expectViolation(
        "INSERT INTO sources (dataset_name, dataset_version, url) VALUES ('d', '1', 'ftp://x.test')",
        "sources_url_http",
      );
      await expectViolation(
        "INSERT INTO conferences (acronym, name, edition_year) VALUES ('  ', 'Blank', 2026)",
        "conferences_acronym_valid",
      );
      await expectViolation(
        "INSERT INTO conferences (acronym, name, edition_year) VALUES ('X', 'Old', 1900)",
        "conferences_edition_year_range",
      );
      await expectViolation(
        "INSERT INTO conferences (acronym, name, edition_year, start_date, end_date) VALUES ('X', 'Y', 2026, '2026-05-02', '2026-05-01')",
        "conferences_dates_order",
      );
      const [conf] = await rows<{ id: string }>(
        url,
        `INSERT INTO conferences (acronym, name, edition_year, source_id)
         VALUES ('ICSE', 'Intl Conf on Software Engineering', 2027, (SELECT id FROM sources LIMIT 1)) RETURNING id`,
      );
      await expectViolation(
        `INSERT INTO conferences (acronym, name, edition_year) VALUES ('ICSE', 'dup', 2027)`,
        "conferences_lower_acronym_year_key",
      );
      await expectViolation(
        `INSERT INTO conferences (acronym, name, edition_year) VALUES ('icse', 'dup in another case', 2027)`,
        "conferences_lower_acronym_year_key",
      );
      await expectViolation(
        "INSERT INTO conferences (acronym, name, edition_year, start_date) VALUES ('FAR', 'Y', 2026, '2028-01-01')",
        "conferences_start_date_near_edition",
      );
      await expectViolation(
        "INSERT INTO conferences (acronym, name, edition_year, end_date) VALUES ('FAR', 'Y', 2026, '2024-12-31')",
        "conferences_end_date_near_edition",
      );
      await expectViolation(
        `INSERT INTO deadlines (conference_id, kind, due_at) VALUES (${conf!.id}, 'abstract', '0001-01-01T00:00:00Z')`,
        "deadlines_due_near_edition",
      );
      await expectViolation(
        `INSERT INTO deadlines (conference_id, kind, due_at) VALUES (${conf!.id}, 'abstract', '2029-01-01T00:00:00Z')`,
        "deadlines_due_near_edition",
      );
      await rows(url, `INSERT INTO deadlines (conference_id, kind, due_at) VALUES ($1, 'paper', '2026-08-01T23:59:59-12:00')`, [
        conf!.id,
      ]);
      await expectViolation(
        `INSERT INTO deadlines (conference_id, kind, due_at) VALUES (${conf!.id}, 'paper', '2026-09-01T00:00:00Z')`,
        "deadlines_conference_kind_key",
      );
      // The window follows the conference: a year that leaves its deadlines years away is refused.
      await expect(rows(url, `UPDATE conferences SET edition_year = 2030 WHERE id = ${conf!.id}`)).rejects.toMatchObject({
        code: "23514",
        constraint: "conferences_deadlines_near_edition",
        column: "edition_year",
      });
      await rows(url, `UPDATE conferences SET edition_year = 2028 WHERE id = ${conf!.id}`);
      await rows(url, `UPDATE conferences SET edition_year = 2027 WHERE id = ${conf!.id}`);
      await expectViolation("INSERT INTO topics (slug, name) VALUES ('Machine Learning', 'ML')", "topics_slug_format");
      await expectViolation(
        "INSERT INTO ingest_runs (trigger, status, finished_at) VALUES ('manual', 'failed', now())",
        "ingest_runs_failed_has_error",
      );
      await expectViolation(
        "INSERT INTO ingest_runs (trigger, status) VALUES ('manual', 'succeeded')",
        "ingest_runs_finished_iff_done",
      );
      await expectViolation("INSERT INTO ingest_runs (trigger) VALUES ('cron')", "ingest_runs_trigger_valid");

      const [dl] = await rows<{ timezone_label: string; estimated: boolean }>(
        url,
        "SELECT timezone_label, estimated FROM deadlines",
      );
      expect(dl).toEqual({ timezone_label: "AoE", estimated: false });
      await rows(url, "DELETE FROM sources");
      expect(await rows(url, "SELECT source_id FROM conferences")).toEqual([{ source_id: null }]);
      await rows(url, "DELETE FROM conferences");
      expect(await rows(url, "SELECT count(*)::int AS n FROM deadlines")).toEqual([{ n: 0 }]);
    });

    it("maintains updated_at with the trigger", async () => {
      const [t] = await rows<{ id: string; updated_at: Date }>(
        url,
        "INSERT INTO topics (slug, name) VALUES ('databases', 'Databases') RETURNING id, updated_at",
      );
      await new Promise((r) => setTimeout(r, 20));
      const [after] = await rows<{ updated_at: Date; created_at: Date }>(
        url,
        "UPDATE topics SET name = 'Data Management' WHERE id = $1 RETURNING updated_at, created_at",
        [t!.id],
      );
      expect(after!.updated_at.getTime()).toBeGreaterThan(t!.updated_at.getTime());
      expect(after!.created_at.getTime()).toBe(t!.updated_at.getTime());
      await rows(url, "DELETE FROM topics");
    });
  });

  it("sets lock_timeout and statement_timeout on the migrator's session, and resets them afterwards", async () => {
    const probe = `
export async function up(pgm) {
  pgm.sql("CREATE TABLE session_probe AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st, current_setting('client_connection_check_interval') AS cci, (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory_locks");
}
export async function down(pgm) { pgm.sql("DROP TABLE session_probe"); }
`;
    const dir = await tempCopy({ "20991231000000000_session-probe.ts": probe });
    const { ran } = await runMigrations({ databaseUrl: url, migrationsDir: dir, lockTimeoutMs: 1234, statementTimeoutMs: 56789 });
    expect(ran).toEqual(["20991231000000000_session-probe"]);
    const [p] = await rows<{ lt: string; st: string; cci: string; advisory_locks: string }>(url, "SELECT * FROM session_probe");
    expect(p).toMatchObject({ lt: "1234ms", st: "56789ms", cci: "250ms" });
    expect(Number(p!.advisory_locks)).toBeGreaterThanOrEqual(1);
    expect((await runMigrations({ databaseUrl: url, migrationsDir: dir, direction: "down" })).ran).toEqual([
      "20991231000000000_session-probe",
    ]);
    const [after] = await rows<{ lt: string }>(url, "SELECT current_setting('lock_timeout') AS lt");
    expect(after!.lt).toBe("0");
  });

  it("loads compiled .js migrations (the app image) under the same names", async () => {
    const dir = await compiledMigrations();
    tempDirs.push(dir);
    expect((await readdir(dir)).filter((f) => f.endsWith(".js"))).toHaveLength(all.length);
    expect(await migrationStatus({ databaseUrl: url, migrationsDir: dir })).toEqual({ applied: all, pending: [] });
    expect((await runMigrations({ databaseUrl: url, migrationsDir: dir, direction: "down", count: 2 })).ran).toEqual(
      all.slice(-2).reverse(),
    );
    expect((await runMigrations({ databaseUrl: url, migrationsDir: dir })).ran).toEqual(all.slice(-2));
  });

  it("rejects an out-of-order file (checkOrder) and applies nothing", async () => {
    const name = "20200101000000000_from-an-old-branch";
    const dir = await tempCopy({
      [`${name}.ts`]:
        'export async function up(pgm) { pgm.sql("CREATE TABLE old_branch (id int)"); }\nexport async function down() {}\n',
    });
    const error = await runMigrations({ databaseUrl: url, migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toMatch(/order check failed.*newer UTC prefix/);
    expect(await publicTables()).not.toContain("old_branch");
    expect(await appliedNames()).toEqual(all);
  });

  it("migrates down to zero, leaving no tables or types behind", async () => {
    const { ran } = await runMigrations({ databaseUrl: url, direction: "down", count: all.length });
    expect(ran).toEqual([...all].reverse());
    expect(await publicTables()).toEqual([]);
    expect(await ledgerTables()).toEqual(["migration_ledger.pgmigrations"]);
    expect(
      await rows(url, "SELECT typname FROM pg_type WHERE typname IN ('conference_format','deadline_kind','ingest_status')"),
    ).toEqual([]);
    expect(await rows(url, "SELECT proname FROM pg_proc WHERE proname = 'set_updated_at'")).toEqual([]);
    expect(await migrationStatus({ databaseUrl: url })).toEqual({ applied: [], pending: all });
  });

  it("refuses to add the acronym-case and edition rules over rows that break them, listing the rows", async () => {
    const other = await emptyDatabase();
    try {
      const before = all.indexOf("20261203030000000_acronym-case-and-edition-windows");
      expect(before).toBeGreaterThan(0);
      await runMigrations({ databaseUrl: other.connectionString, count: before });
      await rows(
        other.connectionString,
        "INSERT INTO conferences (acronym, name, edition_year) VALUES ('NeurIPS', 'a', 2026), ('NEURIPS', 'b', 2026), ('ICML', 'c', 2026)",
      );
      const error = await runMigrations({ databaseUrl: other.connectionString }).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/20261203030000000_acronym-case-and-edition-windows/);
      expect(String((error as Error & { cause?: Error }).cause?.message)).toMatch(
        /^conferences whose acronyms differ only in case for the same year are one conference; .*: NeurIPS \(id 1\) and NEURIPS \(id 2\) in 2026$/,
      );
      expect((await migrationStatus({ databaseUrl: other.connectionString })).pending).toEqual(all.slice(before));
      await rows(other.connectionString, "DELETE FROM conferences WHERE acronym = 'NEURIPS'");
      expect((await runMigrations({ databaseUrl: other.connectionString })).ran).toEqual(all.slice(before));
    } finally {
      await other.close();
    }
  });

  it("rolls back the whole run when one migration fails, naming the file", async () => {
    const broken = "20991231000000000_broken";
    const dir = await tempCopy({ [`${broken}.ts`]: brokenMigration });
    const error = await runMigrations({ databaseUrl: url, migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe(broken);
    expect((error as Error).message).toMatch(
      new RegExp(`Migration ${broken} failed \\(up\\).*rolled back.*table_that_does_not_exist`),
    );
    expect((error as Error).cause).toMatchObject({ code: "42P01" });
    // All six were in one transaction: not even the five good ones stayed.
    expect(await publicTables()).toEqual([]);
    expect(await appliedNames()).toEqual([]);
    // The lock was released and the session is usable: a normal run goes through.
    expect((await runMigrations({ databaseUrl: url, lockWaitTimeoutMs: 5_000 })).ran).toEqual(all);
  });

  describe("CLI", () => {
    it("status --json prints exactly one JSON object on stdout, logs on stderr", async () => {
      const r = await runCli(["status", "--json"], { DATABASE_URL: url });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ applied: all, pending: [] });
      expect(r.stdout.trim().split("\n")).toHaveLength(1);
    });

    it("status prints one line per migration and a summary", async () => {
      const dir = await tempCopy({
        "20991231000000000_later.ts": "export async function up() {}\nexport async function down() {}\n",
      });
      const r = await runCli(["status"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines.slice(0, all.length)).toEqual(all.map((n) => `applied  ${n}`));
      expect(lines).toContain("pending  20991231000000000_later");
      expect(lines.at(-1)).toBe(`${all.length} applied, 1 pending`);
      expect(r.stderr).toContain(
        kind === "pglite" ? "PostgreSQL server at postgres://postgres@127.0.0.1" : "PostgreSQL server at",
      );
      const password = decodeURIComponent(new URL(url).password);
      if (password) expect(r.stderr).not.toContain(password);
    });

    it("status shows no password when DATABASE_URL has it as a ?password= query parameter", async () => {
      const query = new URL(url);
      const password = decodeURIComponent(query.password) || "q-secret-pglite-asks-for-none";
      query.searchParams.set("user", decodeURIComponent(query.username));
      query.searchParams.set("password", password);
      query.username = "";
      query.password = "";
      const r = await runCli(["status"], { DATABASE_URL: query.toString() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^migrate status: PostgreSQL server at postgres:\/\/.*[?&]password=\*\*\*/);
      expect(r.stderr + r.stdout).not.toContain(password);
    });

    it("up and down apply and revert, and a failing run exits non-zero naming the file", async () => {
      const down = await runCli(["down", "2"], { DATABASE_URL: url });
      expect(down.code).toBe(0);
      expect(down.stderr).toContain(`reverted 2: ${all.at(-1)}, ${all.at(-2)}`);
      const up = await runCli(["up"], { DATABASE_URL: url });
      expect(up.code).toBe(0);
      expect(up.stderr).toContain(`applied 2: ${all.at(-2)}, ${all.at(-1)}`);

      const dir = await tempCopy({ "20991231000000000_broken.ts": brokenMigration });
      const failed = await runCli(["up"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/migrate up failed: Migration 20991231000000000_broken failed \(up\)/);
      expect(await appliedNames()).toEqual(all);
    });

    it("rejects bad usage with exit code 2 and the usage text", async () => {
      const r = await runCli(["down", "zero"], { DATABASE_URL: url });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/N must be a whole number >= 1, got 'zero'[\s\S]*usage: migrate/);
    });

    it("create NAME writes a UTC-prefixed TypeScript migration from the template", async () => {
      const dir = await tempCopy();
      const r = await runCli(["create", "add-conference-notes"], { MIGRATIONS_DIR: dir });
      expect(r.code).toBe(0);
      const file = r.stdout.trim();
      expect(file.startsWith(dir)).toBe(true);
      expect(file).toMatch(/\/\d{17}_add-conference-notes\.ts$/);
      const body = await readFile(file, "utf8");
      expect(body).toMatch(/export async function up\(pgm: MigrationBuilder\)/);
      expect(body).toMatch(/export async function down\(pgm: MigrationBuilder\)/);
      const names = await listMigrationNames(dir);
      expect(names.at(-1)).toBe(join(file).split("/").pop()!.replace(/\.ts$/, ""));
    });
  });

  it("uses <repo>/migrations by default", () => {
    expect(defaultMigrationsDir).toBe(join(repoRoot, "migrations"));
  });
});
