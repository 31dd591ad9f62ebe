import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertPartition,
  formatPartition,
  ownsRep,
  parsePartition,
  SINGLE_PARTITION,
  stableHash,
} from "./partition.js";

describe("projector partitions", () => {
  it("hashes with 32-bit FNV-1a over UTF-8 (published test vectors), so every machine agrees", () => {
    expect(stableHash("")).toBe(0x811c9dc5);
    expect(stableHash("a")).toBe(0xe40c292c);
    expect(stableHash("foobar")).toBe(0xbf9cf968);
  });

  it("gives every rep to exactly one of n partitions (law, 200 runs)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40, unit: "binary" }),
        fc.integer({ min: 1, max: 16 }),
        (repId, count) => {
          const owners = Array.from({ length: count }, (_, index) => index).filter((index) =>
            ownsRep({ index, count }, repId),
          );
          expect(owners).toEqual([stableHash(repId) % count]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("an unpartitioned projector owns everyone", () => {
    expect(ownsRep(SINGLE_PARTITION, "R-1")).toBe(true);
  });

  it("parses k/n and refuses what is not a partition, naming the rule", () => {
    expect(parsePartition("2/4")).toEqual({ index: 2, count: 4 });
    expect(formatPartition({ index: 2, count: 4 })).toBe("2/4");
    expect(() => parsePartition("4/4")).toThrow("partition index must be an integer 0..3, got 4");
    expect(() => parsePartition("0/0")).toThrow("partition count must be an integer 1..256, got 0");
    expect(() => parsePartition("one/two")).toThrow('partition must look like "k/n"');
    expect(() => assertPartition({ index: 0.5, count: 2 })).toThrow(RangeError);
  });
});
