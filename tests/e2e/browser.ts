// A real-browser check of the app's page, for the e2e suite: Debian's chromium, driven by
// playwright-core, opens the page a person would open, and we read what it rendered rather than the
// HTML the server sent (tests/integration/page.test.ts covers the markup; this covers "it shows up
// in a browser"). Not a test file: the e2e tests call checkPageInBrowser against the app a stack runs.
//
// The browser is Debian's chromium under playwright-core (tests/helpers/chromium.ts says why).
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { launchChromium } from "../helpers/chromium.js";
import { repoRoot } from "../../app/src/paths.js";

export { CHROMIUM_ARGS, CHROMIUM_PATH } from "../helpers/chromium.js";

export interface PageCheckOptions {
  /** The app's base URL, e.g. the stack's `appUrl` output: must be http://127.0.0.1:PORT/. */
  appUrl: string;
  /** Where the full-page PNG goes (its folder is created), e.g. .artifacts/e2e/page.png. */
  screenshotPath: string;
  /** The dataset the app's worker imported (default data/conferences.json). */
  datasetPath?: string;
  /** How long to wait for the worker's import to show on the page (default 60 s). */
  datasetTimeoutMs?: number;
  /** Leave the conference the check created in the database (default: delete it at the end). */
  keepCreated?: boolean;
}

export interface PageCheck {
  url: string;
  title: string;
  /** What `browser.version()` says, e.g. "156.0.8078.114". */
  chromiumVersion: string;
  dataset: { name: string; version: string; conferences: number };
  /** Conference rows in the page's table on the first load. */
  rowsShown: number;
  /** The page's own count line, e.g. "154 conferences". */
  countLine: string;
  /** The conference created through POST /api/conferences for this check. */
  created: { id: number; acronym: string; name: string; year: number };
  /** Conference rows after the reload (one more than rowsShown unless the list is capped). */
  rowsAfterReload: number;
  /** The created conference is in the reloaded page's full list. */
  foundAfterReload: boolean;
  /** ...and is the one row the page's search form finds for its acronym. */
  foundBySearch: boolean;
  /** The created conference was deleted again at the end (not with keepCreated). */
  deleted: boolean;
  screenshotPath: string;
  /** Requests the browser tried to send anywhere but the app (aborted): should be none. */
  blockedRequests: string[];
  /** Errors the page logged or threw (its script, a CSP refusal): should be none. */
  pageErrors: string[];
}

/**
 * The browser may only ever talk to the app on this machine: the URL must be http on 127.0.0.1,
 * nothing else (the network here is package registries only, and traffic elsewhere is flagged).
 */
function appOrigin(appUrl: string): URL {
  let url: URL;
  try {
    url = new URL(appUrl);
  } catch {
    throw new Error(`checkPageInBrowser: appUrl ${JSON.stringify(appUrl)} is not a URL`);
  }
  if (url.protocol !== "http:" || url.hostname !== "127.0.0.1")
    throw new Error(`checkPageInBrowser: appUrl must be http://127.0.0.1:PORT/ (the app on this machine), not ${appUrl}`);
  return new URL("/", url);
}

interface DatasetFile {
  dataset: { name: string; version: string };
  conferences: { acronym: string; year: number }[];
}

function readDataset(file: string): DatasetFile {
  const json = JSON.parse(readFileSync(file, "utf8")) as DatasetFile;
  if (!json.dataset?.name || !Array.isArray(json.conferences))
    throw new Error(`checkPageInBrowser: ${file} is not a ConfRadar dataset (no dataset.name or conferences)`);
  return json;
}

/** "NeurIPS 2026": the edition link in each conference row (then come the "ended" mark, the name, the links). */
async function rowLabels(page: Page): Promise<string[]> {
  const links = await page.locator('#conferences tbody tr > td[data-label="Conference"] > a:first-child').allInnerTexts();
  return links.map((text) => text.trim());
}

async function api<T>(origin: URL, method: string, pathname: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(new URL(pathname, origin), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
}

/**
 * Opens the app's page in chromium, checks the imported dataset is listed, creates a conference
 * through the JSON API, reloads and finds it in the list and through the page's search form, and
 * takes a full-page screenshot. Throws, with what the page showed, when any of that fails.
 */
export async function checkPageInBrowser(opts: PageCheckOptions): Promise<PageCheck> {
  const origin = appOrigin(opts.appUrl);
  const dataset = readDataset(opts.datasetPath ?? path.join(repoRoot, "data", "conferences.json"));
  const expected = dataset.conferences.map((c) => `${c.acronym} ${c.year}`);
  const screenshotPath = path.resolve(opts.screenshotPath);
  mkdirSync(path.dirname(screenshotPath), { recursive: true });

  const blockedRequests: string[] = [];
  const pageErrors: string[] = [];
  let created: PageCheck["created"] | undefined;
  let deleted = false;
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Belt and braces with appOrigin: whatever the page links or loads, only the app's origin is
    // fetched. The page loads nothing else today; a blocked request is reported, not followed.
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin.origin) return route.continue();
      blockedRequests.push(url);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });

    // 1. The dataset: wait until the worker's import of this dataset shows as succeeded (a stack
    //    that just came up may still be importing), then every edition in the file must be listed.
    // "include past": editions that have ended are listed too, so every edition in the file shows.
    const listAll = new URL("/?past=1", origin).href;
    const response = await page.goto(listAll);
    if (!response || response.status() !== 200)
      throw new Error(`GET ${listAll} in chromium answered ${response?.status() ?? "nothing"}`);
    const imported = page.locator("#ingest-runs tbody tr", { hasText: dataset.dataset.name }).locator("td.status-succeeded");
    const deadline = Date.now() + (opts.datasetTimeoutMs ?? 60_000);
    while ((await imported.count()) === 0) {
      if (Date.now() > deadline)
        throw new Error(
          `the page shows no succeeded import of ${dataset.dataset.name}; its imports section says:\n` +
            (await page.locator("#ingest-runs").innerText()),
        );
      await page.waitForTimeout(2_000);
      await page.reload();
    }
    const title = await page.title();
    const countLine = (await page.locator("#conferences p.muted").first().innerText()).trim();
    const labels = await rowLabels(page);
    // The page lists at most 500 conferences ("showing the first 500"): only then may some be off it.
    const capped = countLine.includes("showing the first");
    const onPage = new Set(labels);
    const missing = expected.filter((label) => !onPage.has(label));
    if (labels.length === 0 || (!capped && missing.length > 0))
      throw new Error(
        `the page lists ${labels.length} conferences ("${countLine}"), and ${missing.length} of the ` +
          `${expected.length} in ${dataset.dataset.name} are not among them: ${missing.slice(0, 10).join(", ")}`,
      );

    // 2. A new conference through the JSON API (unique per call: the acronym carries the time).
    const stamp = Date.now().toString(36).toUpperCase();
    const input = {
      acronym: `BRWS${stamp}`,
      name: `Browser Check Conference ${stamp}`,
      year: new Date().getUTCFullYear() + 1,
      format: "online",
    };
    const post = await api<{ id: number; message?: string }>(origin, "POST", "/api/conferences", input);
    if (post.status !== 201) throw new Error(`POST /api/conferences answered ${post.status}: ${JSON.stringify(post.json)}`);
    created = { id: post.json.id, acronym: input.acronym, name: input.name, year: input.year };
    const createdLabel = `${input.acronym} ${input.year}`;

    // 3. It shows after a reload, in the full list (unless capped) and through the search form.
    await page.reload();
    const labelsAfter = await rowLabels(page);
    const foundAfterReload = labelsAfter.includes(createdLabel);
    if (!foundAfterReload && !capped)
      throw new Error(`${createdLabel} was created (id ${created.id}) but the reloaded page does not list it`);
    await page.screenshot({ path: screenshotPath, fullPage: true });

    await page.locator('#filters input[name="q"]').fill(input.acronym);
    await Promise.all([
      page.waitForURL((url) => url.searchParams.get("q") === input.acronym),
      page.getByRole("button", { name: "Filter" }).click(),
    ]);
    const searchLabels = await rowLabels(page);
    const createdRow = page.locator("#conferences tbody tr", { hasText: input.name });
    const foundBySearch = searchLabels.length === 1 && searchLabels[0] === createdLabel && (await createdRow.count()) === 1;
    if (!foundBySearch)
      throw new Error(`searching the page for ${input.acronym} lists ${JSON.stringify(searchLabels)}, not just ${createdLabel}`);

    if (!opts.keepCreated) {
      const del = await api(origin, "DELETE", `/api/conferences/${created.id}`);
      deleted = del.status === 204;
    }
    return {
      url: origin.href,
      title,
      chromiumVersion: browser.version(),
      dataset: { name: dataset.dataset.name, version: dataset.dataset.version, conferences: expected.length },
      rowsShown: labels.length,
      countLine,
      created,
      rowsAfterReload: labelsAfter.length,
      foundAfterReload,
      foundBySearch,
      deleted,
      screenshotPath,
      blockedRequests,
      pageErrors,
    };
  } catch (error) {
    // A failed check still leaves no test conference behind.
    if (created && !opts.keepCreated && !deleted)
      await api(origin, "DELETE", `/api/conferences/${created.id}`).catch(() => undefined);
    throw error;
  } finally {
    await browser.close();
  }
}
