// The dev stack as a developer uses it: `npm run up` with pgAdmin, its generated login, its server
// preloaded once; `npm run destroy` keeps the data volume and the next `up` finds the data and logs
// in (issue #15: it used to drop the database and roles, then fail with 28P01). State in a
// throwaway backend.
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDocker, sh } from "../toolchain/pulumiProject.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./browser.js";
import {
  artifactsDir,
  createMarker,
  dockerNames,
  filesContaining,
  health,
  markerExists,
  passwordsIn,
  publishedHostIps,
  sqlState,
  committedMigrations,
  StackCommands,
  waitUntil,
} from "./stackCommands.js";
import { claimStack, releaseStack } from "./stackLeftovers.js";

const dev = new StackCommands("dev");
const pgadmin = "confradar-dev-pgadmin";
let outputs: Record<string, unknown> = {};
let marker = "";

/** Servers in pgAdmin's own database: the preloaded one must be there exactly once. */
function pgadminServers(): number {
  const script =
    "import sqlite3; print(sqlite3.connect('/var/lib/pgadmin/pgadmin4.db').execute('select count(*) from server').fetchone()[0])";
  const result = sh("docker", ["exec", pgadmin, "python3", "-c", script]);
  if (result.status !== 0) throw new Error(`reading pgAdmin's server list failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

/** Logs in to pgAdmin in the browser with the stack's generated login; true when it lands in the app. */
async function pgadminLogin(url: string, email: string, password: string, screenshot: string): Promise<boolean> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
  try {
    const page = await browser.newPage();
    await page.route(/^(?!http:\/\/127\.0\.0\.1[:/])/, (route) => route.abort());
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
    await page.locator('input[name="email"]').fill(email, { timeout: 60_000 });
    await page.locator('input[name="password"]').fill(password);
    await page.keyboard.press("Enter");
    const landed = await page
      .waitForURL(/\/browser\/?/, { timeout: 60_000 })
      .then(() => true)
      .catch(() => false);
    await page.screenshot({ path: screenshot, fullPage: false });
    return landed;
  } finally {
    await browser.close();
  }
}

beforeAll(() => {
  requireDocker();
  claimStack("dev", "npm run destroy");
});

afterAll(async () => {
  await dev.run("destroy", ["--wipe-volume"], "cleanup destroy --wipe-volume");
  dev.restore();
  releaseStack("dev");
});

describe("the dev stack", () => {
  it("comes up with pgAdmin, every container healthy on 127.0.0.1, no password in plain text", async () => {
    const up = await dev.must("up", [], "cold up with pgAdmin");
    expect(up.output).toContain("The dev stack is up.");
    outputs = await dev.outputs();
    for (const name of ["postgres", "api", "worker", "pgadmin"]) {
      expect(health(`confradar-dev-${name}`), name).toBe("healthy");
      for (const ip of publishedHostIps(`confradar-dev-${name}`)) expect(ip, name).toBe("127.0.0.1");
    }
    expect(filesContaining(dev.stateFiles(), passwordsIn(outputs))).toEqual([]);
    marker = await createMarker(String(outputs.appUrl), "DEV");
  });

  it("9. pgAdmin: the generated login works and the server is preloaded once, also after a restart", async () => {
    expect(pgadminServers()).toBe(1);
    const screenshot = path.join(artifactsDir, "pgadmin-dev.png");
    expect(
      await pgadminLogin(String(outputs.pgadminUrl), String(outputs.pgadminEmail), String(outputs.pgadminPassword), screenshot),
    ).toBe(true);
    console.log(`[e2e dev] pgAdmin screenshot: ${screenshot}`);
    const refused = path.join(artifactsDir, "pgadmin-dev-wrong-password.png");
    expect(await pgadminLogin(String(outputs.pgadminUrl), String(outputs.pgadminEmail), "not-the-password", refused)).toBe(false);
    expect(sh("docker", ["restart", pgadmin]).status).toBe(0);
    // Its start script imports servers.json again on every start: replaced, not added.
    const seconds = await waitUntil("pgAdmin healthy after a restart", async () => health(pgadmin) === "healthy", 180_000);
    dev.timings.push({ step: "dev: pgAdmin healthy after a restart", seconds });
    expect(pgadminServers()).toBe(1);
  });

  it("`npm run destroy` keeps the data; the next `up` logs in and finds them (was 28P01 and an empty cluster)", async () => {
    await dev.must("destroy", [], "destroy keeping the volume");
    expect(dockerNames("ps", "confradar-dev-")).toEqual([]);
    expect(dockerNames("volume", "confradar-dev-")).toEqual(["confradar-dev-pgdata"]);
    const up = await dev.must("up", [], "up on the kept volume");
    expect(up.output).toContain(`migrations: ${committedMigrations} applied`);
    outputs = await dev.outputs();
    expect(await markerExists(String(outputs.appConnectionString), marker)).toBe(true);
    expect(await sqlState(String(outputs.appConnectionString), "CREATE TABLE e2e_should_fail (id int)")).toBe("42501");
    expect(await sqlState(String(outputs.readonlyConnectionString), "DELETE FROM conferences")).toBe("42501");
    expect(pgadminServers()).toBe(1);
    await dev.must("preview", ["--expect-no-changes"], "preview on the kept volume");
  });

  // `destroy --wipe-volume` starting empty is scenario 4c of the ci suite; the cleanup below wipes.
});
