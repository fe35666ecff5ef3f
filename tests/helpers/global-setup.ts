import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import {
  adminQuery,
  buildPgliteTemplate,
  buildServerTemplate,
  newRunId,
  quoteIdent,
  testDatabaseKind,
  type TemplateInfo,
} from "./database.js";

/** Builds one migrated template per run; each test file then clones it (see database.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const kind = testDatabaseKind();
  const runId = newRunId();
  const started = Date.now();
  let info: TemplateInfo;
  let teardown: () => Promise<void>;
  if (kind === "postgres") {
    const templateName = await buildServerTemplate(runId);
    info = { kind, templateName, runId };
    teardown = async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(templateName)} WITH (FORCE)`);
    };
  } else {
    const dumpFile = join(tmpdir(), `confradar-pglite-template-${runId}.tar`);
    await buildPgliteTemplate(dumpFile);
    info = { kind, dumpFile, runId };
    teardown = () => rm(dumpFile, { force: true });
  }
  process.stderr.write(
    `[integration] store: ${kind === "postgres" ? "PostgreSQL server (TEST_DATABASE_URL), server-only tests included" : "embedded PGlite, tests/integration/server/ not in this run (set TEST_DATABASE_URL)"}; migrated template ready in ${Date.now() - started} ms\n`,
  );
  project.provide("confradarTemplate", info);
  return teardown;
}
