/**
 * A short-lived cache of rendered pages (a "micro-cache"), so a page that many readers load at once
 * costs one render and two SQL statements per view and per second instead of one per request.
 *
 * Why it is safe to serve a page up to `ttlMs` old:
 * - writes through this process's API clear the whole cache at once (`clear`, called by app.ts after
 *   every successful write), so a reader who changes something sees it on the next load;
 * - writes by another process (the worker's ingest, a second api replica) show within `ttlMs`;
 * - the times on the page that move by the second (time left) are redrawn by the page's script.
 *
 * What is kept is a `RenderedPage`: the HTML and, made once on first demand, its br and gzip bodies,
 * so a cached view costs no compression either (compressing ~140 kB per request was most of a
 * cached answer's CPU).
 *
 * Concurrent requests for a view that is not cached share one render (no stampede when an entry
 * expires under load). A failed render is not kept. Entries are bounded (oldest first out), since
 * every distinct filter set is a key.
 */
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import negotiate from "@fastify/accept-negotiator";

/** The encodings a cached page is kept in, the client's preference deciding among them. */
const PAGE_ENCODINGS = ["br", "gzip", "identity"] as const;
export type PageEncoding = (typeof PAGE_ENCODINGS)[number];

/**
 * The body encoding for a request's Accept-Encoding, as @fastify/compress picks it (x-gzip and "*"
 * count as gzip); identity when the client accepts none of ours.
 */
export function pageEncoding(acceptEncoding: string | undefined): PageEncoding {
  if (!acceptEncoding) return "identity";
  const header = acceptEncoding.toLowerCase().replace(/x-gzip|\*/g, "gzip");
  return negotiate(header, [...PAGE_ENCODINGS]) ?? "identity";
}

/** One rendered page and its compressed bodies, each made on first demand. */
export class RenderedPage {
  private readonly bodies = new Map<PageEncoding, Buffer>();

  constructor(readonly html: string) {}

  body(encoding: PageEncoding): Buffer {
    let body = this.bodies.get(encoding);
    if (!body) {
      const plain = Buffer.from(this.html, "utf8");
      // Brotli at quality 4, as @fastify/compress does for every other answer.
      if (encoding === "br") body = brotliCompressSync(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
      else if (encoding === "gzip") body = gzipSync(plain);
      else body = plain;
      this.bodies.set(encoding, body);
    }
    return body;
  }
}

export interface PageCacheOptions {
  /** How long a rendered page is served; 0 turns the cache off. */
  ttlMs: number;
  /** At most this many views kept. */
  maxEntries?: number;
  /** Monotonic milliseconds; tests drive it. Default: performance.now. */
  clock?: () => number;
}

interface Entry<T> {
  expiresAt: number;
  value: Promise<T>;
}

export class PageCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: PageCacheOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) {
      throw new Error(`page cache ttlMs must be a number >= 0, got ${options.ttlMs}`);
    }
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 64;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** The page for `key`: the cached one while it is fresh, else `render()` (shared by concurrent callers). */
  get(key: string, render: () => Promise<T>): Promise<T> {
    if (this.ttlMs === 0) return render();
    const at = this.clock();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > at) return cached.value;
    if (cached) this.entries.delete(key);
    const value = render();
    const entry: Entry<T> = { expiresAt: at + this.ttlMs, value };
    this.entries.set(key, entry);
    // A render that fails is forgotten, so the next request tries again (and gets its own error).
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return value;
  }

  /** Forgets every page: the data changed. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
