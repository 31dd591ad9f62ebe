import { Decimal, roundDecimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Component, RateBand } from "../../plan/types.js";
import { planDefinition, Scenario, total } from "../testing.js";

const RUNS = { numRuns: 200 };
const REPS = ["r0", "r1", "r2", "r3", "r4"];

/** n shares in basis points that sum to exactly 1 (e.g. "0.3334", "0.6666"). */
const sharesArb = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.uniqueArray(fc.integer({ min: 1, max: 9999 }), { minLength: n - 1, maxLength: n - 1 }).map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), 10000];
    return points.slice(1).map((p, i) => new Decimal(p - (points[i] as number)).div(10000).toFixed());
  }),
);

const dayArb = fc.integer({ min: 1, max: 90 }).map((d) => {
  const date = new Date(Date.UTC(2026, 0, d));
  return date.toISOString().slice(0, 10);
});

/** Non-decreasing rates (whole percents) over bands with edges at whole percents of quota. */
const bandsArb = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 1, max: 300 }), { minLength: 0, maxLength: 3 }),
    fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 4, maxLength: 4 }),
  )
  .map(([edges, rates]) => {
    const sortedEdges = edges.sort((a, b) => a - b);
    const sortedRates = rates.sort((a, b) => a - b);
    const bounds = [0, ...sortedEdges];
    return bounds.map(
      (from, i): RateBand => ({
        from: new Decimal(from).div(100).toFixed(),
        to: i + 1 < bounds.length ? new Decimal(bounds[i + 1] as number).div(100).toFixed() : null,
        rate: new Decimal(sortedRates[i] as number).div(100).toFixed(),
      }),
    );
  });

const gateArb = fc.option(
  fc.record({
    threshold: fc.integer({ min: 1, max: 150 }).map((t) => new Decimal(t).div(100).toFixed()),
    payFrom: fc.constantFrom("first_dollar" as const, "above_threshold" as const),
  }),
  { nil: undefined },
);

function table(method: "marginal" | "retroactive", bands: RateBand[], extra: object = {}): Component {
  return { kind: "rate_table", id: "c", name: "Commission", method, bands, ...extra } as Component;
}

describe("earnings laws", () => {
  it("(b) split credits sum exactly to the deal amount (after FX, at the plan's scale)", () => {
    fc.assert(
      fc.property(
        sharesArb,
        fc.integer({ min: 0, max: 100_000_000_00 }),
        fc.option(fc.integer({ min: 1, max: 30000 }), { nil: undefined }),
        (shares, cents, fxBasisPoints) => {
          const s = new Scenario();
          const flat = table("marginal", [{ from: "0", to: null, rate: "0.1" }]);
          s.given(s.plan("p", planDefinition([flat])));
          for (const rep of REPS) s.given(s.rep(rep), s.assign(rep, "p"), s.quota(rep, "2026-Q1", "1000"));
          const amount = new Decimal(cents).div(100);
          const currency = fxBasisPoints === undefined ? "USD" : "EUR";
          const rate = new Decimal(fxBasisPoints ?? 10000).div(10000);
          if (fxBasisPoints !== undefined) s.given(s.fx("EUR", "USD", rate.toFixed(), "2026-01-01"));
          s.given(
            s.deal("D", amount.toFixed(), "2026-02-01", {
              currency,
              splits: shares.map((share, i) => [REPS[i] as string, share]),
            }),
          );
          let sum = new Decimal(0);
          for (const rep of REPS) sum = sum.plus(s.when(rep, "2026-Q1").attainment.credit);
          expect(sum.toFixed()).toBe(roundDecimal(amount.times(rate), 2, "HALF_EVEN").toFixed());
        },
      ),
      RUNS,
    );
  });

  it("(c) a deal and its original-rate clawback net to zero", () => {
    const spiff: Component = {
      kind: "spiff",
      id: "s",
      name: "SPIFF",
      filter: { products: ["gadget"] },
      payout: { kind: "rate", rate: "0.013" },
    };
    const bonus: Component = {
      kind: "bonus",
      id: "b",
      name: "Bonus",
      attainmentLevel: "0.8",
      amount: "777.77",
    };
    fc.assert(
      fc.property(
        fc.constantFrom("marginal" as const, "retroactive" as const),
        bandsArb,
        gateArb,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 80_000_00 }), dayArb, fc.boolean()), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(),
        fc.integer({ min: 0, max: 30 }),
        (method, bands, gate, deals, pick, cancelAfterDays) => {
          const s = new Scenario();
          const rateTable = table(method, bands, gate === undefined ? {} : { gate });
          s.given(
            s.rep("ana"),
            s.plan(
              "p",
              planDefinition([rateTable, spiff, bonus], {
                clawback: { windowDays: 30, method: "original_rate" },
              }),
            ),
            s.assign("ana", "p"),
            s.quota("ana", "2026-Q1", "100000"),
          );
          deals.forEach(([cents, day, gadget], i) => {
            const product = gadget ? "gadget" : "widget";
            s.given(s.deal(`D${i}`, new Decimal(cents).div(100).toFixed(), day, { product }));
          });
          const index = pick % deals.length;
          const closeDay = (deals[index] as [number, string, boolean])[1];
          const cancelDate = new Date(Date.parse(`${closeDay}T00:00:00Z`) + cancelAfterDays * 86_400_000)
            .toISOString()
            .slice(0, 10);
          s.given(s.cancel(`D${index}`, cancelDate));
          const entries = s.when("ana", "2026-Q1").entries.filter((e) => e.dealId === `D${index}`);
          expect(total(entries)).toBe("0");
          const own = entries.filter((e) => e.kind !== "clawback" && !e.amount.isZero()).length;
          expect(entries.filter((e) => e.kind === "clawback")).toHaveLength(own);
        },
      ),
      RUNS,
    );
  });

  it("(d) with a non-decreasing rate schedule and no cap, more credit never pays less", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("marginal" as const, "retroactive" as const),
        bandsArb,
        gateArb,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 90_000 }), dayArb), { minLength: 0, maxLength: 6 }),
        fc.tuple(fc.integer({ min: 0, max: 90_000 }), dayArb),
        (method, bands, gate, deals, [extraAmount, extraDay]) => {
          const s = new Scenario();
          s.given(
            s.rep("ana"),
            s.plan("p", planDefinition([table(method, bands, gate === undefined ? {} : { gate })])),
            s.assign("ana", "p"),
            s.quota("ana", "2026-Q1", "100000"),
          );
          deals.forEach(([amount, day], i) => {
            s.given(s.deal(`D${i}`, String(amount), day));
          });
          const before = new Decimal(total(s.when("ana", "2026-Q1").entries));
          s.given(s.deal("EXTRA", String(extraAmount), extraDay));
          const after = new Decimal(total(s.when("ana", "2026-Q1").entries));
          expect(after.greaterThanOrEqualTo(before)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it("(e) an earnings cap is never exceeded, per quota period or per year, even with negative adjustments", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("marginal" as const, "retroactive" as const),
        bandsArb,
        fc.integer({ min: 0, max: 20_000_00 }),
        fc.integer({ min: 0, max: 40_000_00 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 90_000_00 }), fc.integer({ min: 1, max: 180 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(
          fc.tuple(
            fc.integer({ min: -50_000, max: 50_000 }),
            fc.constantFrom("2026-01", "2026-02", "2026-04", "2026-06"),
          ),
          { maxLength: 3 },
        ),
        (method, bands, periodCents, yearCents, deals, adjustments) => {
          const perPeriod = new Decimal(periodCents).div(100);
          const perYear = new Decimal(yearCents).div(100);
          const s = new Scenario();
          // Rates with three decimals make rounding bite.
          const odd = bands.map((b) => ({ ...b, rate: new Decimal(b.rate ?? "0").plus("0.0015").toFixed() }));
          s.given(
            s.rep("ana"),
            s.plan(
              "p",
              planDefinition([
                table(method, odd, {
                  earningsCap: { perPeriod: perPeriod.toFixed(), perYear: perYear.toFixed() },
                }),
              ]),
            ),
            s.assign("ana", "p"),
            s.quota("ana", "2026-Q1", "100000"),
            s.quota("ana", "2026-Q2", "100000"),
          );
          deals.forEach(([cents, day], i) => {
            const date = new Date(Date.UTC(2026, 0, day)).toISOString().slice(0, 10);
            s.given(s.deal(`D${i}`, new Decimal(cents).div(100).toFixed(), date));
          });
          adjustments.forEach(([amount, period], i) => {
            s.given(s.adjustment(`A${i}`, "ana", period, String(amount), true));
          });
          let year = new Decimal(0);
          for (const qp of ["2026-Q1", "2026-Q2"]) {
            const paid = new Decimal(
              total(s.when("ana", qp).entries.filter((e) => e.trace.component === "c")),
            );
            expect(paid.lessThanOrEqualTo(perPeriod)).toBe(true);
            year = year.plus(paid);
          }
          expect(year.lessThanOrEqualTo(perYear)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it("arrival order does not matter, and re-delivered events change nothing: deals run in business-time order", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("marginal" as const, "retroactive" as const),
        bandsArb,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 90_000_00 }), dayArb), { minLength: 1, maxLength: 6 }),
        fc.infiniteStream(fc.nat()),
        (method, bands, deals, randomness) => {
          const build = (order: number[], redeliver: boolean) => {
            const s = new Scenario();
            s.given(
              s.rep("ana"),
              s.plan("p", planDefinition([table(method, bands)])),
              s.assign("ana", "p"),
              s.quota("ana", "2026-Q1", "100000"),
            );
            const events = deals.map(([cents, day], i) =>
              s.deal(`D${i}`, new Decimal(cents).div(100).toFixed(), day),
            );
            for (const i of order) s.given(events[i] as (typeof events)[number]);
            if (redeliver) s.given(...events);
            return s.when("ana", "2026-Q1").entries.map((e) => `${e.id}=${e.amount.toFixed()}`);
          };
          const inOrder = deals.map((_, i) => i);
          const shuffled = [...inOrder];
          const it = randomness[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i -= 1) {
            const j = (it.next().value as number) % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
          }
          expect(build(shuffled, true)).toEqual(build(inOrder, false));
        },
      ),
      RUNS,
    );
  });
});
