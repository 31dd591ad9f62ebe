import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { etagOf, ifNoneMatchHits, ResponseCache, statementKey } from "./response-cache.js";

const bytes = (n: number, fill = 0x61) => Buffer.alloc(n, fill);

describe("ResponseCache", () => {
  it("drops the least recently used body first when over its byte bound", () => {
    const cache = new ResponseCache(800);
    cache.set("a", bytes(100));
    cache.set("b", bytes(100));
    expect(cache.get("a")?.body.length).toBe(100); // a is now more recent than b
    for (const key of ["c", "d", "e", "f", "g", "h"]) cache.set(key, bytes(100));
    cache.set("i", bytes(100));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.bytes).toBe(800);
  });

  it("answers but does not keep a body larger than an eighth of the bound", () => {
    const cache = new ResponseCache(800);
    const big = cache.set("big", bytes(101));
    expect(big.etag).toBe(etagOf(bytes(101)));
    expect(cache.get("big")).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it("replaces a key's body without counting the old one", () => {
    const cache = new ResponseCache(1_000);
    cache.set("a", bytes(50));
    cache.set("a", bytes(70, 0x62));
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(70);
    expect(cache.get("a")?.body.equals(bytes(70, 0x62))).toBe(true);
  });

  it("keeps nothing with a zero bound and refuses a negative one", () => {
    const cache = new ResponseCache(0);
    cache.set("a", bytes(1));
    expect(cache.size).toBe(0);
    expect(() => new ResponseCache(-1)).toThrow(RangeError);
  });

  it("law: bytes never exceed the bound and always equal the bodies kept (200 runs)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e", "f", "g"), fc.nat(400), fc.boolean())),
        (maxBytes, maxEntries, ops) => {
          const cache = new ResponseCache(maxBytes, maxEntries);
          const kept = new Map<string, Buffer>();
          for (const [key, size, read] of ops) {
            if (read) {
              const hit = cache.get(key);
              // Whatever is answered is exactly what was last stored under the key.
              if (hit !== undefined) expect(hit.body.equals(kept.get(key) as Buffer)).toBe(true);
            } else {
              const body = bytes(size, 0x61 + (size % 26));
              kept.set(key, body);
              cache.set(key, body);
            }
            expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
            expect(cache.size).toBeLessThanOrEqual(maxEntries);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("ETags", () => {
  it("are strong, quoted and equal exactly for equal bytes", () => {
    expect(etagOf(Buffer.from("{}"))).toBe(etagOf(Buffer.from("{}")));
    expect(etagOf(Buffer.from("{}"))).not.toBe(etagOf(Buffer.from("[]")));
    expect(etagOf(Buffer.from("{}"))).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
  });

  it("match If-None-Match lists, weak tags and *, nothing else", () => {
    const tag = etagOf(Buffer.from("x"));
    expect(ifNoneMatchHits(undefined, tag)).toBe(false);
    expect(ifNoneMatchHits(tag, tag)).toBe(true);
    expect(ifNoneMatchHits(`W/${tag}`, tag)).toBe(true);
    expect(ifNoneMatchHits(`"other", ${tag}`, tag)).toBe(true);
    expect(ifNoneMatchHits("*", tag)).toBe(true);
    expect(ifNoneMatchHits('"other"', tag)).toBe(false);
    expect(ifNoneMatchHits(tag.slice(1, -1), tag)).toBe(false);
  });

  it("key statements unambiguously: latest and as-of at one position are different answers", () => {
    expect(statementKey("a", "2026-Q1", 5, true)).not.toBe(statementKey("a", "2026-Q1", 5, false));
    expect(statementKey("a,b", "c", 1, true)).not.toBe(statementKey("a", "b,c", 1, true));
  });
});
