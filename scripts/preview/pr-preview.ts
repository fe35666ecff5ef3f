/**
 * What a pull request changes in the stack, against the stack as its base commit builds it.
 *
 *   npm run -s preview:pr -- --base REV [--head REV] [--output FILE] [--repo DIR] [--stack NAME]
 *
 * Brings a throwaway copy of the ci stack up from the base commit, previews the head against it,
 * writes the Markdown summary (a pull request comment) and destroys the stack: see previewRun.ts.
 * Progress goes to stderr; the summary to --output, else stdout. Exit 0 when the preview ran, 1
 * when it could not (the summary says why), 2 for bad arguments.
 */
import "../../app/src/check-node.js"; // first: the Node.js version check (app/src/node-version.ts)
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "../stack/stack.js";
import { previewAgainstBase } from "./previewRun.js";

const USAGE = `usage: npm run -s preview:pr -- --base REV [--head REV] [--output FILE] [--repo DIR] [--stack NAME]
  --base REV     the commit the stack is brought up from (a pull request's base)
  --head REV     the commit previewed against it (default HEAD)
  --output FILE  where the Markdown summary goes (default stdout)
  --repo DIR     the git repository of the commits (default this checkout)
  --stack NAME   the throwaway stack's name (default preview-<random>; never dev or ci)`;

class UsageError extends Error {}

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        base: { type: "string" },
        head: { type: "string", default: "HEAD" },
        output: { type: "string" },
        repo: { type: "string" },
        stack: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.base) throw new UsageError("--base is required");
  return { ...values, base: values.base, head: values.head! };
}

async function main(): Promise<number> {
  const options = readOptions();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`[pr-preview] ${signal}: stopping after the running command, then destroying the stack\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const result = await previewAgainstBase({
    base: options.base,
    heads: [options.head],
    signal: controller.signal,
    ...(options.repo ? { repo: path.resolve(options.repo) } : {}),
    ...(options.stack ? { stack: options.stack } : {}),
  });
  const preview = result.previews[0];
  const summary = preview?.summary ?? result.failure ?? "";
  if (options.output) {
    mkdirSync(path.dirname(path.resolve(options.output)), { recursive: true });
    writeFileSync(path.resolve(options.output), summary);
    process.stderr.write(`[pr-preview] summary written to ${path.resolve(options.output)}\n`);
  } else process.stdout.write(summary);
  return preview?.ok ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(error instanceof UserError ? `error: ${error.message}` : error);
    process.exit(1);
  },
);
