/**
 * The harness's spare databases on a real server (tests/helpers/server-clones.ts): each spare goes to
 * one file only, a claim finds none once all are taken, and the run's teardown leaves none behind.
 * Needs TEST_DATABASE_URL (see migrations-concurrency.test.ts for why this folder needs a server).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrationNames, migrationStatus } from "../../../app/src/migrate/index.js";
import { adminUrl, buildServerTemplate, quoteIdent, testDatabaseKind, withDatabase } from "../../helpers/database.js";
import { claimSpare, dropSpares, fillSpares, spareName, withAdmin } from "../../helpers/server-clones.js";

// Its own run id: the run's real spares (global setup) are not touched.
const runId = `sparetest${randomBytes(3).toString("hex")}`;
let template: string;
const claimed: string[] = [];

async function databasesLike(prefix: string): Promise<string[]> {
  return withAdmin(adminUrl(), async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname",
      [prefix],
    );
    return rows.map((r) => r.datname);
  });
}

beforeAll(async () => {
  if (testDatabaseKind() !== "postgres") {
    throw new Error(
      "tests/integration/server/ needs TEST_DATABASE_URL (run scripts/ci/start-postgres and export what it prints)",
    );
  }
  template = await buildServerTemplate(runId);
});

afterAll(async () => {
  await withAdmin(adminUrl(), async (c) => {
    await dropSpares(c, runId);
    for (const name of [...claimed, template])
      if (name) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
});

describe("spare test databases", () => {
  it("fills the asked number of migrated spares of the template", async () => {
    await fillSpares(adminUrl(), template, runId, 3).done;
    expect(await databasesLike(`confradar_spare_${runId}_`)).toEqual([0, 1, 2].map((n) => spareName(runId, n)));
    expect(await migrationStatus({ databaseUrl: withDatabase(adminUrl(), spareName(runId, 1)) })).toEqual({
      applied: await listMigrationNames(),
      pending: [],
    });
  });

  it("gives each spare to one claim only, and says so when none is left", async () => {
    const names = [0, 1, 2, 3].map((n) => `confradar_claim_${runId}_${n}`);
    claimed.push(...names);
    // Four claims at once on their own connections, for three spares.
    const results = await Promise.all(names.map((name) => withAdmin(adminUrl(), (c) => claimSpare(c, runId, name))));
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await databasesLike(`confradar_claim_${runId}_`)).toEqual(names.filter((_, i) => results[i]));
    expect(await databasesLike(`confradar_spare_${runId}_`)).toEqual([]);
  });

  it("drops the spares nobody took", async () => {
    await fillSpares(adminUrl(), template, runId, 2).done;
    // Spare numbers restart at 0 for a new fill; two exist now.
    expect(await databasesLike(`confradar_spare_${runId}_`)).toHaveLength(2);
    await withAdmin(adminUrl(), (c) => dropSpares(c, runId));
    expect(await databasesLike(`confradar_spare_${runId}_`)).toEqual([]);
  });
});
