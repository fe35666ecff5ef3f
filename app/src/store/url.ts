import { isAbsolute, join, resolve } from "node:path";
import { appRoot } from "../paths.js";

/** Where a DATABASE_URL points: a PostgreSQL server, or an embedded PGlite (on disk or in memory). */
export type DatabaseTarget =
  { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string } | { kind: "pglite"; dataDir: null };

export function defaultPgliteDir(root: string = appRoot): string {
  return join(root, ".pglite", "confradar");
}

/**
 * Parses the accepted DATABASE_URL forms:
 * unset or empty -> the persistent default; `pglite:memory` (or `pglite://memory`) -> in memory;
 * `pglite://PATH` -> that folder (relative paths from `cwd`, `pglite:///abs/dir` for absolute ones);
 * `postgres://` or `postgresql://` -> a server, passed through unchanged.
 */
export function parseDatabaseUrl(url: string | undefined, opts: { cwd?: string; repoRoot?: string } = {}): DatabaseTarget {
  const value = url?.trim() ?? "";
  if (value === "") return { kind: "pglite", dataDir: defaultPgliteDir(opts.repoRoot) };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: "postgres", url: value };
  if (value === "pglite:memory" || value === "pglite://memory" || value === "pglite://:memory:") {
    return { kind: "pglite", dataDir: null };
  }
  if (value.startsWith("pglite://")) {
    const path = decodeURIComponent(value.slice("pglite://".length));
    if (path === "") {
      throw new Error("DATABASE_URL 'pglite://' names no folder: use pglite://PATH, pglite:///absolute/path or pglite:memory");
    }
    return { kind: "pglite", dataDir: isAbsolute(path) ? path : resolve(opts.cwd ?? process.cwd(), path) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1] ?? "(none)";
  throw new Error(
    `DATABASE_URL has an unsupported scheme '${scheme}': use postgres://USER:PASSWORD@HOST:PORT/DB, ` +
      "pglite://PATH, pglite:memory, or leave it unset for the embedded default",
  );
}
