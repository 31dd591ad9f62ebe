import { Decimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import { DEFAULT_CALENDAR, parsePeriodId } from "../calendar/index.js";
import type { LedgerEntry } from "../ledger/types.js";
import { closeCovering } from "./closes.js";
import { priorPeriodAdjustments } from "./ppa.js";

const d = (s: string) => new Decimal(s);
function line(id: string, amount: string, dealId: string, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id,
    repId: "r1",
    kind: "earning",
    amount: d(amount),
    currency: "USD",
    period: "2026-Q1",
    businessDate: "2026-02-01",
    dealId,
    trace: {
      sourceEventIds: [dealId],
      positions: [1],
      planId: "p",
      planVersion: 1,
      component: "commission",
      inputs: {},
      arithmetic: "",
      explanation: "",
    },
    ...over,
  };
}
const base = {
  repId: "r1",
  closedPeriod: "2026-Q1",
  targetPeriod: "2026-Q2",
  businessDate: "2026-04-01",
  currency: "USD",
  scale: 2,
  lateFacts: [{ eventId: "cancel-D2", position: 20 }],
};

describe("priorPeriodAdjustments", () => {
  const frozen = [line("e1", "6000", "D1"), line("e2", "8500", "D2"), line("e3", "9000", "D3")];
  const recomputed = [line("e1", "6000", "D1"), line("e3", "5500", "D3")];

  it("posts recomputed − closed per component, traced to the late facts (DOMAIN §8: −12,000)", () => {
    const out = priorPeriodAdjustments({ ...base, frozen, recomputed, alreadyPosted: [] });
    expect(out).toHaveLength(1);
    const ppa = out[0] as LedgerEntry;
    expect([ppa.kind, ppa.period, ppa.amount.toFixed(2)]).toEqual([
      "prior_period_adjustment",
      "2026-Q2",
      "-12000.00",
    ]);
    expect(ppa.trace.sourceEventIds).toEqual(["cancel-D2"]);
    expect(ppa.trace.inputs).toMatchObject({
      closedPeriod: "2026-Q1",
      originalKind: "earning",
      "deal:D2": "-8500.00",
      "deal:D3": "-3500.00",
    });
  });

  it("never double-posts: what later closed periods already adjusted is subtracted", () => {
    const first = priorPeriodAdjustments({ ...base, frozen, recomputed, alreadyPosted: [] });
    const again = priorPeriodAdjustments({
      ...base,
      targetPeriod: "2026-Q3",
      frozen,
      recomputed,
      alreadyPosted: first,
    });
    expect(again).toEqual([]);
    const more = priorPeriodAdjustments({
      ...base,
      targetPeriod: "2026-Q3",
      frozen,
      recomputed: [
        ...recomputed,
        line("e4", "100", "D4", { kind: "spiff", trace: { ...recomputed[0]!.trace, component: "spiff" } }),
      ],
      alreadyPosted: first,
    });
    expect(more.map((e) => [e.trace.inputs.originalKind, e.amount.toFixed(2)])).toEqual([
      ["spiff", "100.00"],
    ]);
  });

  it("ignores draw lines: draw balances carry from frozen statements", () => {
    const draw = line("dr", "5000", "", { kind: "draw_advance" });
    expect(priorPeriodAdjustments({ ...base, frozen: [draw], recomputed: [], alreadyPosted: [] })).toEqual(
      [],
    );
  });
});

describe("closeCovering", () => {
  const q1 = parsePeriodId(DEFAULT_CALENDAR, "2026-Q1");
  const feb = parsePeriodId(DEFAULT_CALENDAR, "2026-02");
  it("a quarter close covers its months; the earliest close wins", () => {
    const quarterClose = { period: q1, throughPosition: 50, eventId: "close-q1", position: 51 };
    const monthClose = { period: feb, throughPosition: 30, eventId: "close-feb", position: 31 };
    expect(closeCovering([quarterClose], feb)?.eventId).toBe("close-q1");
    expect(closeCovering([quarterClose, monthClose], feb)?.eventId).toBe("close-feb");
    expect(closeCovering([monthClose], q1)).toBeUndefined();
    expect(closeCovering([quarterClose], parsePeriodId(DEFAULT_CALENDAR, "2026-04"))).toBeUndefined();
  });
});
