import { Decimal, roundDecimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateLargestRemainder, FxRates } from "../../crediting/index.js";
import type { CompiledPlan, DealState } from "../../facts/index.js";
import { EarningsCapLimiter } from "../cap/earnings-cap.js";
import { num, numOfFixed, roundAt } from "../format.js";
import { allocateWholeShares, creditDeal } from "./credit.js";

/** Shares in 1/10^places that sum to exactly 1, in 1 to 6 parts (zero shares allowed). */
const shares = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 6 }),
    fc.integer({ min: 0, max: 6 }),
  )
  .filter(([w]) => w.some((x) => x > 0))
  .map(([weights, places]) => {
    const sum = weights.reduce((a, b) => a + b, 0);
    const unit = 10 ** places;
    // Integer parts of unit, the last one taking what is left so the sum is exact.
    const parts = weights.map((w) => Math.floor((w * unit) / sum));
    parts[parts.length - 1] = unit - parts.slice(0, -1).reduce((a, b) => a + b, 0);
    return parts.map((p) => new Decimal(p).div(unit));
  });

/**
 * Totals at a scale: up to 10^9 minor units (where every integer product fits: the integer path) or up to
 * 10^15 (where most do not: the Decimal path).
 */
const total = fc
  .tuple(
    fc.oneof(
      fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
      fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
    ),
    fc.integer({ min: 0, max: 4 }),
  )
  .map(([units, scale]) => ({ value: new Decimal(units.toString()).div(new Decimal(10).pow(scale)), scale }));

describe("allocateWholeShares", () => {
  it("gives the parts of allocateLargestRemainder for shares summing to 1, in integers or Decimals", () => {
    fc.assert(
      fc.property(shares, total, (weights, { value, scale }) => {
        const expected = allocateLargestRemainder(value, weights, scale);
        const actual = allocateWholeShares(value, weights, scale);
        expect(actual.map((d) => d.toFixed())).toEqual(expected.map((d) => d.toFixed()));
        expect(actual.map((d) => d.isNegative())).toEqual(expected.map((d) => d.isNegative()));
      }),
      { numRuns: 600 },
    );
  });

  it("creditDeal credits each rep the sum of its split lines' parts, and the parts sum to the whole", () => {
    const reps = fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(shares, total, reps, (weights, { value, scale }, repIds) => {
        const splits = weights.map((share, index) => ({
          repId: repIds[index % repIds.length] as string,
          share,
        }));
        const deal = {
          dealId: "D1",
          amount: value,
          currency: "USD",
          closeDate: "2026-01-10",
          product: "p",
          dealType: "new",
          splits,
          sources: [{ eventId: "e1", position: 1 }],
        } as DealState;
        const plan = {
          measure: "amount",
          currency: "USD",
          rounding: { scale, mode: "HALF_EVEN" },
        } as CompiledPlan;
        const parts = allocateLargestRemainder(value, weights, scale);
        let sum = new Decimal(0);
        for (const repId of new Set(splits.map((s) => s.repId))) {
          const result = creditDeal(deal, repId, plan, "2026-01-10", new FxRates(), 1);
          if (!result.ok) throw new Error(result.message);
          let expected = new Decimal(0);
          splits.forEach((s, i) => {
            if (s.repId === repId) expected = expected.plus(parts[i] as Decimal);
          });
          expect(result.value.credit.toFixed()).toBe(expected.toFixed());
          expect(result.value.credit.isNegative()).toBe(expected.isNegative());
          sum = sum.plus(result.value.credit);
        }
        expect(sum.toFixed()).toBe(value.toFixed());
      }),
      { numRuns: 300 },
    );
  });

  it("refuses what the general function refuses", () => {
    expect(() => allocateWholeShares(new Decimal("1.005"), [new Decimal(1)], 2)).toThrow(RangeError);
    expect(() => allocateWholeShares(new Decimal(1), [], 2)).toThrow(RangeError);
    expect(() => allocateWholeShares(new Decimal(1), [new Decimal(2), new Decimal(-1)], 2)).toThrow(
      RangeError,
    );
  });
});

describe("numOfFixed and roundAt", () => {
  const decimal = fc
    .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 8 }), fc.boolean())
    .map(([units, places, negZero]) =>
      units === 0n && negZero
        ? new Decimal("-0")
        : new Decimal(units.toString()).div(new Decimal(10).pow(places)),
    );

  it("numOfFixed(d.toFixed()) is num(d)", () => {
    fc.assert(
      fc.property(decimal, (d) => {
        expect(numOfFixed(d.toFixed())).toBe(num(d));
      }),
      { numRuns: 200 },
    );
  });

  it("roundAt is roundDecimal in value, sign and text", () => {
    const modes = ["HALF_EVEN", "HALF_UP", "HALF_DOWN", "UP", "DOWN", "CEIL", "FLOOR"] as const;
    fc.assert(
      fc.property(decimal, fc.integer({ min: 0, max: 6 }), fc.constantFrom(...modes), (d, scale, mode) => {
        const expected = roundDecimal(d, scale, mode);
        const actual = roundAt(d, scale, mode);
        expect(actual.toFixed()).toBe(expected.toFixed());
        expect(actual.isNegative()).toBe(expected.isNegative());
      }),
      { numRuns: 200 },
    );
    expect(() => roundAt(new Decimal(1), 19, "HALF_EVEN")).toThrow(RangeError);
  });
});

describe("EarningsCapLimiter without a cap", () => {
  it("pays every ask as asked and totals them, like a cap that is never reached", () => {
    const amount = fc
      .tuple(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), fc.integer({ min: 0, max: 4 }))
      .map(([u, p]) => new Decimal(u.toString()).div(new Decimal(10).pow(p)));
    fc.assert(
      fc.property(fc.array(fc.tuple(amount, fc.boolean(), amount), { maxLength: 30 }), (asks) => {
        const free = new EarningsCapLimiter(undefined, new Decimal(0), 4);
        const huge = new EarningsCapLimiter(
          { perPeriod: new Decimal("1e25"), perYear: undefined },
          new Decimal(0),
          4,
        );
        for (const [earning, withTrueUp, trueUp] of asks) {
          const t = withTrueUp ? trueUp : new Decimal(0);
          const a = free.apply(earning, t);
          const b = huge.apply(earning, t);
          expect(a.capped).toBe(false);
          expect(a.earning.toFixed()).toBe(b.earning.toFixed());
          expect(a.trueUp.toFixed()).toBe(b.trueUp.toFixed());
          expect(a.note).toBe(b.note);
        }
        expect(free.paidTotal.toFixed()).toBe(huge.paidTotal.toFixed());
      }),
      { numRuns: 200 },
    );
  });
});
