/**
 * The pages' script, app/src/web/assets/page.js, served from this server so the CSP can say
 * script-src 'self' and nothing more. Its URL carries a hash of its content
 * (/assets/page-1a2b3c4d5e6f.js): a browser may keep it for a year, and a changed script gets a new
 * URL. Read once at start-up; a missing file stops the app there, not on a reader's request (the
 * image build copies it beside the compiled code: app/Dockerfile).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface PageScript {
  /** "/assets/page-1a2b3c4d5e6f.js" */
  path: string;
  body: string;
}

export const PAGE_SCRIPT_FILE = fileURLToPath(new URL("./assets/page.js", import.meta.url));

export function loadPageScript(file: string = PAGE_SCRIPT_FILE): PageScript {
  let body: string;
  try {
    body = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `the page script ${file} cannot be read (${error instanceof Error ? error.message : String(error)}): ` +
        "it ships beside the app's code in app/src/web/assets/ (the image copies it, see app/Dockerfile)",
      { cause: error },
    );
  }
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { path: `/assets/page-${hash}.js`, body };
}
