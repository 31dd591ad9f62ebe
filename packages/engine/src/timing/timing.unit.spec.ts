import { Decimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, DEFAULT_CALENDAR, periodContaining } from "../calendar/index.js";
import type { LedgerEntry } from "../ledger/types.js";
import { collectionTimingEntries } from "./collection.js";
import { percentageHoldbackEntries } from "./holdback.js";
import { timingEntries } from "./timing.js";
import type { CollectedPayment, TimingContext } from "./types.js";

const d = (s: string | number) => new Decimal(s);
const ctx: TimingContext = {
  scale: 2,
  mode: "HALF_EVEN",
  payoutPeriodOf: (date) => periodContaining(DEFAULT_CALENDAR, "month", date).id,
  addDays,
};

function line(
  id: string,
  amount: string,
  businessDate: string,
  over: Partial<LedgerEntry> = {},
): LedgerEntry {
  return {
    id,
    repId: "r1",
    kind: "earning",
    amount: d(amount),
    currency: "USD",
    period: ctx.payoutPeriodOf(businessDate),
    businessDate,
    dealId: "D1",
    trace: {
      sourceEventIds: ["deal-D1"],
      positions: [3],
      planId: "p",
      planVersion: 1,
      component: "c",
      inputs: {},
      arithmetic: "",
      explanation: "",
    },
    ...over,
  };
}
const pay = (paymentId: string, amount: string, receivedDate: string, position = 10): CollectedPayment => ({
  paymentId,
  amount: d(amount),
  receivedDate,
  eventId: `pay-${paymentId}`,
  position,
});
/**
 * Line L1 (1,000 on 2026-01-10, with `over`) timed on collection of a 2,000 deal paid 500 on 2026-01-05 and
 * 1,500 on 2026-02-15, with 10 % of each payable piece held 30 days.
 */
const collectedAndHeld = (over: Partial<LedgerEntry>) =>
  timingEntries([line("L1", "1000.00", "2026-01-10", over)], {
    timingOf: () => ({
      paymentTiming: { kind: "on_collection", holdback: { fraction: "0.1", releaseAfterDays: 30 } },
      ctx,
    }),
    collectionOf: () => ({
      dealId: "D1",
      amount: d(2000),
      payments: [pay("P1", "500", "2026-01-05"), pay("P2", "1500", "2026-02-15")],
    }),
  });
const sum = (es: readonly LedgerEntry[]) => es.reduce((s, e) => s.plus(e.amount), d(0));

describe("pay on collection", () => {
  it("holds the uncollected part in the close period and releases it per payment", () => {
    const out = collectionTimingEntries(
      [line("L1", "1000.00", "2026-01-20")],
      {
        dealId: "D1",
        amount: d(10000),
        payments: [pay("P2", "6000", "2026-03-05"), pay("P1", "4000", "2026-02-10")],
      },
      ctx,
    );
    expect(out.map((e) => [e.kind, e.period, e.amount.toFixed(2)])).toEqual([
      ["holdback", "2026-01", "-1000.00"],
      ["holdback_release", "2026-02", "400.00"],
      ["holdback_release", "2026-03", "600.00"],
    ]);
  });

  it("holds only what was not yet collected on the line date, and caps collection at 100%", () => {
    const out = collectionTimingEntries(
      [line("L1", "300.00", "2026-01-20")],
      {
        dealId: "D1",
        amount: d(900),
        payments: [pay("P1", "300", "2026-01-02"), pay("P2", "900", "2026-02-01")],
      },
      ctx,
    );
    expect(out.map((e) => [e.kind, e.amount.toFixed(2)])).toEqual([
      ["holdback", "-200.00"],
      ["holdback_release", "200.00"],
    ]);
  });

  it("a clawback of an uncollected deal releases its own hold instead of taking money twice", () => {
    const lines = [
      line("L1", "500.00", "2026-01-10"),
      line("C1", "-500.00", "2026-02-10", { kind: "clawback" }),
    ];
    const out = collectionTimingEntries(lines, { dealId: "D1", amount: d(5000), payments: [] }, ctx);
    expect(sum([...lines, ...out]).isZero()).toBe(true);
  });

  it("law: once fully collected, releases sum exactly to what was held (largest remainder)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 7 }),
        (dealCents, lineCents, parts) => {
          const total = parts.reduce((a, b) => a + b, 0);
          // Split the deal amount into payments proportional to `parts`, the last one taking the rest (+ an overpayment).
          let paid = 0;
          const payments = parts.map((p, i) => {
            const cents = i === parts.length - 1 ? dealCents - paid + 7 : Math.floor((dealCents * p) / total);
            paid += cents;
            return pay(
              `P${i}`,
              d(cents).dividedBy(100).toFixed(),
              `2026-02-${String(i + 1).padStart(2, "0")}`,
            );
          });
          const amount = d(lineCents).dividedBy(100).toFixed(2);
          const out = collectionTimingEntries(
            [line("L1", amount, "2026-01-31")],
            { dealId: "D1", amount: d(dealCents).dividedBy(100), payments },
            ctx,
          );
          const held = out.filter((e) => e.kind === "holdback");
          const released = out.filter((e) => e.kind === "holdback_release");
          expect(sum(held).plus(sum(released)).isZero()).toBe(true);
          expect(sum(held).negated().toFixed(2)).toBe(amount);
          for (const r of released) expect(r.amount.decimalPlaces()).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("holdback percentage", () => {
  const terms = { fraction: d("0.1"), releaseAfterDays: 28 };
  it("releases in the payout period containing payable date + N days (boundary)", () => {
    const feb = percentageHoldbackEntries([line("L1", "1000.00", "2026-01-31")], terms, ctx);
    expect(feb.map((e) => [e.kind, e.period, e.businessDate, e.amount.toFixed(2)])).toEqual([
      ["holdback", "2026-01", "2026-01-31", "-100.00"],
      ["holdback_release", "2026-02", "2026-02-28", "100.00"],
    ]);
    const mar = percentageHoldbackEntries(
      [line("L1", "1000.00", "2026-01-31")],
      { ...terms, releaseAfterDays: 29 },
      ctx,
    );
    expect(mar[1]?.period).toBe("2026-03");
    expect(mar[1]?.businessDate).toBe("2026-03-01");
  });

  it("rounds the held amount by the plan policy and releases exactly that", () => {
    const out = percentageHoldbackEntries(
      [line("L1", "333.35", "2026-01-05")],
      { fraction: d("0.1"), releaseAfterDays: 0 },
      ctx,
    );
    expect(out.map((e) => e.amount.toFixed(2))).toEqual(["-33.34", "33.34"]);
    expect(out[1]?.period).toBe("2026-01");
  });

  it("timingEntries applies on_close holdback to earned kinds but not to adjustments", () => {
    const lines = [
      line("L1", "1000.00", "2026-01-10"),
      line("A1", "200.00", "2026-01-10", { kind: "adjustment" }),
    ];
    const out = timingEntries(lines, {
      timingOf: () => ({
        paymentTiming: { kind: "on_close", holdback: { fraction: "0.25", releaseAfterDays: 90 } },
        ctx,
      }),
      collectionOf: () => undefined,
    });
    expect(out.map((e) => [e.id, e.period, e.amount.toFixed(2)])).toEqual([
      ["L1:held", "2026-01", "-250.00"],
      ["L1:held:release", "2026-04", "250.00"],
    ]);
  });

  it("timingEntries composes collection and holdback: everything held is eventually released", () => {
    const out = collectedAndHeld({});
    // Collected 25% by the line date: 750 held until P2; 10% of each payable piece (250, 750) held 30 days.
    expect(out.map((e) => [e.kind, e.period, e.amount.toFixed(2)])).toEqual([
      ["holdback", "2026-01", "-750.00"],
      ["holdback_release", "2026-02", "750.00"],
      ["holdback", "2026-01", "-25.00"],
      ["holdback_release", "2026-02", "25.00"],
      ["holdback", "2026-02", "-75.00"],
      ["holdback_release", "2026-03", "75.00"],
    ]);
    expect(sum(out).isZero()).toBe(true);
  });
});

describe("timing lines' shape", () => {
  // The lines are built a property at a time (see Mutable in ledger/types.ts); the API shows their keys in
  // this order, and an optional key is absent, never present as undefined.

  it("keys in the order statements show them, with the quota period and plan when the line has them", () => {
    const out = collectedAndHeld({ quotaPeriod: "2026-Q1" });
    const collection = [
      "id",
      "repId",
      "kind",
      "amount",
      "currency",
      "period",
      "quotaPeriod",
      "businessDate",
      "dealId",
      "trace",
    ];
    const held = [
      "repId",
      "currency",
      "quotaPeriod",
      "dealId",
      "id",
      "kind",
      "amount",
      "period",
      "businessDate",
      "trace",
    ];
    const trace = [
      "sourceEventIds",
      "positions",
      "planId",
      "planVersion",
      "component",
      "inputs",
      "arithmetic",
      "explanation",
    ];
    expect(out.map((e) => [e.id, Object.keys(e), Object.keys(e.trace)])).toEqual([
      ["L1:holdback", collection, trace],
      ["L1:release:P2", collection, trace],
      ["L1:held", held, trace],
      ["L1:held:release", held, trace],
      ["L1:release:P2:held", held, trace],
      ["L1:release:P2:held:release", held, trace],
    ]);
    expect(out[1]?.trace).toStrictEqual({
      sourceEventIds: ["deal-D1", "pay-P2"],
      positions: [3, 10],
      planId: "p",
      planVersion: 1,
      component: "c",
      inputs: { held: "750.00", payment: "1500", dealAmount: "2000", weight: "0.75" },
      arithmetic: "750.00 × 0.75 ≈ 750.00 (largest remainder)",
      explanation: "Deal D1: payment P2 of 1500 releases 750.00 held from L1",
    });
  });

  it("no quota period, deal or plan keys when the line has none", () => {
    const bare = line("L1", "1000.00", "2026-01-10");
    const out = percentageHoldbackEntries(
      [
        {
          ...bare,
          dealId: undefined,
          trace: { ...bare.trace, planId: undefined, planVersion: undefined, component: undefined },
        } as never,
      ],
      { fraction: d("0.1"), releaseAfterDays: 30 },
      ctx,
    );
    const keys = ["repId", "currency", "id", "kind", "amount", "period", "businessDate", "trace"];
    const trace = ["sourceEventIds", "positions", "inputs", "arithmetic", "explanation"];
    expect(out.map((e) => [Object.keys(e), Object.keys(e.trace)])).toEqual([
      [keys, trace],
      [keys, trace],
    ]);
  });
});
