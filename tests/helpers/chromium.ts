// Debian's chromium driven by playwright-core, for every browser test (tests/browser/ on the app
// started in-process, tests/e2e/ on the stacks). Why not `playwright`: our machines and CI reach
// package registries only, so Playwright's browser download (`npx playwright install`) cannot work
// there; playwright-core is the same driver without a bundled browser, and
// `scripts/ci/install-chromium` (run by .ci/run and by `npm test`'s set-up) installs the browser.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium; CONFRADAR_CHROMIUM names another Chromium-based browser (e.g. GitHub runners' Chrome). */
export const CHROMIUM_PATH = process.env.CONFRADAR_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Headless, and quiet on the network: no sandbox (we run as root, where chromium's sandbox refuses
 * to start), no GPU (there is none), and none of the browser's own background traffic (component
 * updates, sync, first-run pings): only the page's requests leave the browser.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export const chromiumInstalled = () => existsSync(CHROMIUM_PATH);

export const CHROMIUM_MISSING =
  `${CHROMIUM_PATH} not found: the browser tests use Debian's chromium (Playwright's own download ` +
  `cannot reach its CDN here). Install it with \`bash scripts/ci/install-chromium\` (as root), or point ` +
  `CONFRADAR_CHROMIUM at another Chromium-based browser.`;

export async function launchChromium(): Promise<Browser> {
  if (!chromiumInstalled()) throw new Error(CHROMIUM_MISSING);
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    throw new Error(
      `chromium at ${CHROMIUM_PATH} did not start under playwright-core: ${error instanceof Error ? error.message : String(error)}\n` +
        `Check \`${CHROMIUM_PATH} --version\`; reinstall with \`bash scripts/ci/install-chromium\`.`,
    );
  }
}
