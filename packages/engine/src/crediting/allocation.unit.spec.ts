import { Decimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateLargestRemainder } from "./index.js";

const d = (value: string | number) => new Decimal(value);
const texts = (parts: Decimal[]) => parts.map((p) => p.toFixed(2));

describe("allocateLargestRemainder", () => {
  it("splits 100.00 three ways as 33.34 / 33.33 / 33.33 (DOMAIN.md §8)", () => {
    const third = d(1).div(3);
    expect(texts(allocateLargestRemainder(d("100.00"), [third, third, third], 2))).toEqual([
      "33.34",
      "33.33",
      "33.33",
    ]);
    expect(texts(allocateLargestRemainder(d("100.00"), [d(1), d(1), d(1)], 2))).toEqual([
      "33.34",
      "33.33",
      "33.33",
    ]);
  });

  it("gives leftover units to the largest remainders, ties to the lower index", () => {
    // 10.00 at 0.15/0.15/0.7 → 1.50/1.50/7.00 exactly; 0.05 at 1:1 → 0.03/0.02.
    expect(texts(allocateLargestRemainder(d("10.00"), [d("0.15"), d("0.15"), d("0.7")], 2))).toEqual([
      "1.50",
      "1.50",
      "7.00",
    ]);
    expect(texts(allocateLargestRemainder(d("0.05"), [d(1), d(1)], 2))).toEqual(["0.03", "0.02"]);
    // 1.00 at 1:2:2 → exact 0.2/0.4/0.4 = 20/40/40 cents.
    expect(texts(allocateLargestRemainder(d("1.00"), [d(1), d(2), d(2)], 2))).toEqual([
      "0.20",
      "0.40",
      "0.40",
    ]);
    // 0.10 at 1:1:1 → exact 3.33 cents each: the first wins the one leftover cent.
    expect(texts(allocateLargestRemainder(d("0.10"), [d(1), d(1), d(1)], 2))).toEqual([
      "0.04",
      "0.03",
      "0.03",
    ]);
    expect(texts(allocateLargestRemainder(d("0.07"), [d(1), d(1), d(5)], 2))).toEqual([
      "0.01",
      "0.01",
      "0.05",
    ]);
    // 0.01 at 1:3 → exact 0.25 / 0.75 cent: the larger remainder gets the cent.
    expect(texts(allocateLargestRemainder(d("0.01"), [d(1), d(3)], 2))).toEqual(["0.00", "0.01"]);
  });

  it("allocates a negative total as the mirror image of the positive one", () => {
    expect(texts(allocateLargestRemainder(d("-100.00"), [d(1), d(1), d(1)], 2))).toEqual([
      "-33.34",
      "-33.33",
      "-33.33",
    ]);
  });

  it("gives zero-weight parts nothing and works at scale 0", () => {
    expect(allocateLargestRemainder(d("7"), [d(0), d(1), d(1)], 0).map(String)).toEqual(["0", "4", "3"]);
  });

  it("asserts its inputs", () => {
    expect(() => allocateLargestRemainder(d("1.005"), [d(1)], 2)).toThrow(/rounded to 2 decimals/);
    expect(() => allocateLargestRemainder(d("1.00"), [], 2)).toThrow(/at least one weight/);
    expect(() => allocateLargestRemainder(d("1.00"), [d(1), d(-1)], 2)).toThrow(/negative/);
    expect(() => allocateLargestRemainder(d("1.00"), [d(0), d(0)], 2)).toThrow(/more than 0/);
    expect(() => allocateLargestRemainder(d("1"), [d(1)], -1)).toThrow(/scale/);
  });

  it("law: parts sum exactly to the total and each is within one minor unit of its exact share", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 6 }),
        (minorUnits, scale, rawWeights, weightScale) => {
          fc.pre(rawWeights.some((w) => w > 0));
          const total = new Decimal(minorUnits.toString()).div(new Decimal(10).pow(scale));
          const weights = rawWeights.map((w) => new Decimal(w).div(new Decimal(10).pow(weightScale)));
          const parts = allocateLargestRemainder(total, weights, scale);
          expect(parts).toHaveLength(weights.length);
          const sum = parts.reduce((acc, p) => acc.plus(p), new Decimal(0));
          expect(sum.equals(total)).toBe(true);
          const weightSum = weights.reduce((acc, w) => acc.plus(w), new Decimal(0));
          const unit = new Decimal(10).pow(-scale);
          for (const [index, part] of parts.entries()) {
            expect(part.decimalPlaces()).toBeLessThanOrEqual(scale);
            const exact = total.times(weights[index] as Decimal).div(weightSum);
            expect(part.minus(exact).abs().lessThan(unit)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
