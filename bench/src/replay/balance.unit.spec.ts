import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OVERLAY_COST_PER_REPORT, repsOfWorker } from "./balance.js";

const org = fc.uniqueArray(
  fc.record({ repId: fc.stringMatching(/^rep-[0-9]{1,4}$/), reports: fc.nat({ max: 2_000 }) }),
  { selector: (r) => r.repId, maxLength: 60 },
);

describe("repsOfWorker", () => {
  it("gives every rep to exactly one worker, and the workers' estimated loads differ by at most one rep's", () => {
    fc.assert(
      fc.property(org, fc.integer({ min: 1, max: 5 }), (reps, count) => {
        const ids = reps.map((r) => r.repId);
        const reportsOf = (id: string) => reps.find((r) => r.repId === id)?.reports ?? 0;
        const weight = (id: string) => 1 + OVERLAY_COST_PER_REPORT * reportsOf(id);
        const shares = Array.from({ length: count }, (_, i) => repsOfWorker(ids, reportsOf, i, count));
        expect(shares.flat().sort()).toEqual([...ids].sort());
        for (const share of shares) expect(share).toEqual([...share].sort());
        const loads = shares.map((share) => share.reduce((sum, id) => sum + weight(id), 0));
        const heaviest = Math.max(0, ...ids.map(weight));
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(heaviest + 1e-9);
      }),
    );
  });

  it("keeps the top of the hierarchy alone when it outweighs everyone else", () => {
    const ids = ["vp", "a", "b", "c", "d"];
    const reportsOf = (id: string) => (id === "vp" ? 1_000 : 0);
    expect(repsOfWorker(ids, reportsOf, 0, 2)).toEqual(["vp"]);
    expect(repsOfWorker(ids, reportsOf, 1, 2)).toEqual(["a", "b", "c", "d"]);
  });

  it("refuses a worker index outside the count", () => {
    expect(() => repsOfWorker(["a"], () => 0, 2, 2)).toThrow(/worker index/);
    expect(() => repsOfWorker(["a"], () => 0, 0, 0)).toThrow(/worker count/);
  });
});
