import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import {
  adminQuery,
  adminUrl,
  buildPgliteTemplate,
  buildServerTemplate,
  newRunId,
  quoteIdent,
  testDatabaseKind,
  type TemplateInfo,
} from "./database.js";
import { dropSpares, fillSpares, withAdmin } from "./server-clones.js";

/** Spares made ahead (server-clones.ts): one per test file, at most this many. */
const MAX_SPARES = 10;

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
    // In the background: the first files start while the rest are still being made.
    const { testFiles } = await project.globTestFiles();
    const fill = fillSpares(adminUrl(), templateName, runId, Math.min(testFiles.length, MAX_SPARES));
    teardown = async () => {
      fill.stop();
      await fill.done;
      await withAdmin(adminUrl(), (client) => dropSpares(client, runId));
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
