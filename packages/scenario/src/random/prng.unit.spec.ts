import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng, perMillion, substream } from "./prng.js";

describe("Prng", () => {
  it("law: the same seed gives the same sequence; ints stay in range", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 21 }), (seed, bound) => {
        const a = new Prng(seed);
        const b = new Prng(seed);
        for (let i = 0; i < 20; i += 1) {
          const value = a.int(bound);
          expect(value).toBe(b.int(bound));
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(bound);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("gives independent streams per label and roughly uniform picks", () => {
    const deals = substream(42, "deals");
    const org = substream(42, "org");
    const first = Array.from({ length: 8 }, () => deals.nextUint32());
    expect(first).not.toEqual(Array.from({ length: 8 }, () => org.nextUint32()));
    const counts = [0, 0, 0, 0];
    const prng = new Prng(1);
    for (let i = 0; i < 40_000; i += 1) {
      const bucket = prng.int(4);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(9_000);
    expect(prng.weighted([["a", 1]])).toBe("a");
  });

  it("rejects bad bounds and probabilities", () => {
    expect(() => new Prng(1).int(0)).toThrow(RangeError);
    expect(() => new Prng(1).int(2 ** 22)).toThrow(RangeError);
    expect(() => new Prng(1.5)).toThrow(RangeError);
    expect(() => perMillion("invalidRate", 1.2)).toThrow(/invalidRate/);
    expect(perMillion("x", 0.25)).toBe(250_000);
  });
});
