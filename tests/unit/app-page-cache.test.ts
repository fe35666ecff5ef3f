import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { PageCache, pageEncoding, RenderedPage } from "../../app/src/web/pageCache.js";

function counter() {
  let calls = 0;
  return {
    render: (body: string) => async () => {
      calls += 1;
      return `${body}#${calls}`;
    },
    get calls() {
      return calls;
    },
  };
}

describe("PageCache", () => {
  it("serves a view from the cache while it is fresh, then renders it again", async () => {
    let clock = 0;
    const cache = new PageCache<string>({ ttlMs: 1000, clock: () => clock });
    const c = counter();
    expect(await cache.get("a", c.render("a"))).toBe("a#1");
    clock = 999;
    expect(await cache.get("a", c.render("a"))).toBe("a#1");
    clock = 1000;
    expect(await cache.get("a", c.render("a"))).toBe("a#2");
    expect(c.calls).toBe(2);
  });

  it("keeps one entry per key", async () => {
    const cache = new PageCache<string>({ ttlMs: 1000, clock: () => 0 });
    const c = counter();
    expect(await cache.get("a", c.render("a"))).toBe("a#1");
    expect(await cache.get("b", c.render("b"))).toBe("b#2");
    expect(await cache.get("a", c.render("a"))).toBe("a#1");
  });

  it("shares one render among concurrent requests for a view", async () => {
    const cache = new PageCache<string>({ ttlMs: 1000, clock: () => 0 });
    let release!: (body: string) => void;
    let renders = 0;
    const render = () => {
      renders += 1;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const waiting = Array.from({ length: 20 }, () => cache.get("a", render));
    release("page");
    expect(await Promise.all(waiting)).toEqual(Array(20).fill("page"));
    expect(renders).toBe(1);
  });

  it("forgets everything on clear", async () => {
    const cache = new PageCache<string>({ ttlMs: 1000, clock: () => 0 });
    const c = counter();
    await cache.get("a", c.render("a"));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(await cache.get("a", c.render("a"))).toBe("a#2");
  });

  it("does not keep a render that failed: the next request tries again", async () => {
    const cache = new PageCache<string>({ ttlMs: 1000, clock: () => 0 });
    await expect(cache.get("a", () => Promise.reject(new Error("database down")))).rejects.toThrow("database down");
    expect(cache.size).toBe(0);
    expect(await cache.get("a", async () => "page")).toBe("page");
  });

  it("keeps at most maxEntries views, dropping the oldest", async () => {
    const cache = new PageCache<string>({ ttlMs: 1000, maxEntries: 2, clock: () => 0 });
    const c = counter();
    await cache.get("a", c.render("a"));
    await cache.get("b", c.render("b"));
    await cache.get("c", c.render("c"));
    expect(cache.size).toBe(2);
    expect(await cache.get("a", c.render("a"))).toBe("a#4");
  });

  it("renders every request with ttlMs 0, and refuses a negative ttl", async () => {
    const cache = new PageCache<string>({ ttlMs: 0 });
    const c = counter();
    await cache.get("a", c.render("a"));
    expect(await cache.get("a", c.render("a"))).toBe("a#2");
    expect(cache.size).toBe(0);
    expect(() => new PageCache({ ttlMs: -1 })).toThrow("page cache ttlMs must be a number >= 0, got -1");
  });
});

describe("pageEncoding", () => {
  it.each([
    [undefined, "identity"],
    ["", "identity"],
    ["gzip, deflate, br", "br"],
    ["gzip", "gzip"],
    ["x-gzip", "gzip"],
    ["*", "gzip"],
    ["br;q=0, gzip;q=0.5", "gzip"],
    ["deflate", "identity"],
    ["identity", "identity"],
    ["GZIP", "gzip"],
  ])("Accept-Encoding %j gives %s", (header, expected) => {
    expect(pageEncoding(header)).toBe(expected);
  });
});

describe("RenderedPage", () => {
  it("gives the HTML itself and each compressed body, which decodes to it, made once", () => {
    const html = "<!doctype html>" + "<p>ConfRadar é</p>".repeat(500);
    const page = new RenderedPage(html);
    expect(page.body("identity").toString("utf8")).toBe(html);
    expect(brotliDecompressSync(page.body("br")).toString("utf8")).toBe(html);
    expect(gunzipSync(page.body("gzip")).toString("utf8")).toBe(html);
    expect(page.body("br").length).toBeLessThan(html.length / 10);
    expect(page.body("br")).toBe(page.body("br"));
  });
});
