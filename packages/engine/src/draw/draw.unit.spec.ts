import { Decimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DrawTerms, settleDraw } from "./draw.js";
import { drawEntries } from "./entries.js";

const d = (s: string | number) => new Decimal(s);
const terms = (over: Partial<DrawTerms> = {}): DrawTerms => ({
  componentId: "draw",
  amount: d(5000),
  recoverable: true,
  ...over,
});

function run(earnings: number[], t: DrawTerms): { paid: string[]; deficits: string[] } {
  let deficit = d(0);
  const paid: string[] = [];
  const deficits: string[] = [];
  for (const e of earnings) {
    const s = settleDraw(d(e), t, deficit);
    paid.push(d(e).plus(s.advance).minus(s.recovery).toFixed(2));
    deficit = s.deficitClosing;
    deficits.push(deficit.toFixed(2));
  }
  return { paid, deficits };
}

describe("settleDraw", () => {
  it("recoverable draw pays 5,000/6,000/5,000 and carries 3,000/0/1,000 (DOMAIN §8)", () => {
    expect(run([2000, 9000, 4000], terms())).toEqual({
      paid: ["5000.00", "6000.00", "5000.00"],
      deficits: ["3000.00", "0.00", "1000.00"],
    });
  });

  it("non-recoverable draw pays 5,000/9,000/5,000 and carries nothing", () => {
    expect(run([2000, 9000, 4000], terms({ recoverable: false }))).toEqual({
      paid: ["5000.00", "9000.00", "5000.00"],
      deficits: ["0.00", "0.00", "0.00"],
    });
  });

  it("recovery is limited by the per-period cap", () => {
    const s = settleDraw(d(12000), terms({ recoveryCapPerPeriod: d(1500) }), d(4000));
    expect(s.recovery.toFixed(2)).toBe("1500.00");
    expect(s.deficitClosing.toFixed(2)).toBe("2500.00");
    expect(s.advance.isZero()).toBe(true);
  });

  it("recovery is limited by the excess over the draw and by the deficit", () => {
    expect(settleDraw(d(5200), terms(), d(4000)).recovery.toFixed(2)).toBe("200.00");
    expect(settleDraw(d(50000), terms(), d(700)).recovery.toFixed(2)).toBe("700.00");
  });

  it("without draw terms the deficit is carried unchanged", () => {
    const s = settleDraw(d(10000), undefined, d(900));
    expect([s.advance.toFixed(), s.recovery.toFixed(), s.deficitClosing.toFixed()]).toEqual([
      "0",
      "0",
      "900",
    ]);
  });

  it("rejects a negative deficit", () => {
    expect(() => settleDraw(d(1), terms(), d(-1))).toThrow(RangeError);
  });

  it("law: paid never falls below the draw, and deficit change = advance − recovery", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -2000, max: 20000 }), { maxLength: 12 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
        (earnings, recoverable, cap) => {
          const t = terms({ recoverable, ...(cap === undefined ? {} : { recoveryCapPerPeriod: d(cap) }) });
          let deficit = d(0);
          for (const e of earnings) {
            const s = settleDraw(d(e), t, deficit);
            const paid = d(e).plus(s.advance).minus(s.recovery);
            expect(paid.greaterThanOrEqualTo(t.amount)).toBe(true);
            if (cap !== undefined) expect(s.recovery.lessThanOrEqualTo(cap)).toBe(true);
            const expectedChange = recoverable ? s.advance.minus(s.recovery) : d(0);
            expect(s.deficitClosing.minus(deficit).equals(expectedChange)).toBe(true);
            expect(s.deficitClosing.isNegative()).toBe(false);
            deficit = s.deficitClosing;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("drawEntries", () => {
  const ctx = {
    repId: "r1",
    period: "2026-02",
    businessDate: "2026-02-28",
    currency: "USD",
    scale: 2,
    planId: "p",
    planVersion: 1,
    sourceEventIds: ["e1"],
    positions: [1],
  };
  it("books the recovery negative with its arithmetic", () => {
    const t = terms();
    const s = settleDraw(d(9000), t, d(3000));
    const lines = drawEntries(d(9000), t, s, ctx);
    expect(lines.map((l) => [l.kind, l.amount.toFixed(2)])).toEqual([["draw_recovery", "-3000.00"]]);
    expect(lines[0]?.trace.arithmetic).toBe("min(9000.00 − 5000.00 = 4000.00, deficit 3000.00) = 3000.00");
  });
  it("books the advance positive and nothing when earnings equal the draw", () => {
    const t = terms();
    expect(
      drawEntries(d(2000), t, settleDraw(d(2000), t, d(0)), ctx).map((l) => [l.kind, l.amount.toFixed(2)]),
    ).toEqual([["draw_advance", "3000.00"]]);
    expect(drawEntries(d(5000), t, settleDraw(d(5000), t, d(10)), ctx)).toEqual([]);
  });
});
