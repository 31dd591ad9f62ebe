import { Decimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EarningsCapLimiter } from "./earnings-cap.js";

const d = (text: string) => new Decimal(text);
const cap = (perPeriod?: string, perYear?: string) => ({
  perPeriod: perPeriod === undefined ? undefined : d(perPeriod),
  perYear: perYear === undefined ? undefined : d(perYear),
});

describe("EarningsCapLimiter", () => {
  it("reduces the true-up before the earning on the line that reaches the cap", () => {
    const limiter = new EarningsCapLimiter(cap("100"), d("0"), 2);
    expect(limiter.apply(d("60"), d("0")).capped).toBe(false);
    const line = limiter.apply(d("30"), d("20"));
    expect([line.earning.toFixed(), line.trueUp.toFixed(), line.capped]).toEqual(["30", "10", true]);
    expect(line.note).toBe("capped by the period cap 100: pays 40 of 50");
  });

  it("a negative line only reduces pay once the uncapped total is back below the cap", () => {
    const limiter = new EarningsCapLimiter(cap("100"), d("0"), 2);
    limiter.apply(d("150"), d("0"));
    const first = limiter.apply(d("0"), d("-30"));
    expect([first.earning.toFixed(), first.trueUp.toFixed()]).toEqual(["0", "0"]);
    const second = limiter.apply(d("-40"), d("0"));
    expect(second.earning.toFixed()).toBe("-20");
    expect(limiter.paidTotal.toFixed()).toBe("80");
  });

  it("rounds the cap down to the scale and never lets the year room go negative", () => {
    const limiter = new EarningsCapLimiter(cap(undefined, "100.009"), d("0"), 2);
    limiter.apply(d("200"), d("0"));
    expect(limiter.paidTotal.toFixed()).toBe("100");
    const overpaid = new EarningsCapLimiter(cap(undefined, "100"), d("150"), 2);
    expect(overpaid.apply(d("10"), d("0")).earning.toFixed()).toBe("0");
  });

  it("law: paid never exceeds the limit, lines sum to what is paid and only shrink toward zero", () => {
    const amount = fc.integer({ min: -50_000, max: 50_000 }).map((cents) => new Decimal(cents).div(100));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.tuple(amount, amount), { maxLength: 12 }),
        (capCents, lines) => {
          const limit = new Decimal(capCents).div(100);
          const limiter = new EarningsCapLimiter({ perPeriod: limit, perYear: undefined }, d("0"), 2);
          let sum = new Decimal(0);
          for (const [earning, trueUp] of lines) {
            const out = limiter.apply(earning, trueUp);
            sum = sum.plus(out.earning).plus(out.trueUp);
            expect(sum.equals(limiter.paidTotal)).toBe(true);
            expect(limiter.paidTotal.lessThanOrEqualTo(limit)).toBe(true);
            for (const [before, after] of [
              [earning, out.earning],
              [trueUp, out.trueUp],
            ] as const) {
              expect(after.abs().lessThanOrEqualTo(before.abs())).toBe(true);
              expect(after.isZero() || after.isNegative() === before.isNegative()).toBe(true);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
