import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupsOf } from "./groups.js";

/** A source that yields `bursts` of items, pausing on a timer between bursts (as messages arrive). */
async function* bursty(bursts: readonly number[][]): AsyncGenerator<number> {
  for (const burst of bursts) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    for (const item of burst) yield item;
  }
}

async function collect<T>(source: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const group of source) out.push(group);
  return out;
}

describe("groupsOf (the recorder's regrouping of delivered messages)", () => {
  it("yields every item once, in order, in groups of at most maxSize (200 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer(), { maxLength: 8 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        async (bursts, maxSize) => {
          const groups = await collect(groupsOf(bursty(bursts), maxSize));
          expect(groups.flat()).toEqual(bursts.flat());
          for (const group of groups) {
            expect(group.length).toBeGreaterThanOrEqual(1);
            expect(group.length).toBeLessThanOrEqual(maxSize);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("groups what is ready together and never waits for the next burst", async () => {
    const groups = await collect(groupsOf(bursty([[1, 2, 3], [4], [5, 6]]), 10));
    expect(groups).toEqual([[1, 2, 3], [4], [5, 6]]);
    expect(await collect(groupsOf(bursty([[1, 2, 3, 4, 5]]), 2))).toEqual([[1, 2], [3, 4], [5]]);
  });
});
