import { Decimal, roundDecimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePlanDefinition } from "../../plan/index.js";
import type { Component, OverlayLines, PlanDefinition } from "../../plan/types.js";
import { lines, planDefinition, Scenario, total } from "../testing.js";

function overlay(lineMode: OverlayLines, extra: Partial<Component & { kind: "overlay" }> = {}): Component {
  return { kind: "overlay", id: "overlay", name: "Team overlay", rate: "0.015", lines: lineMode, ...extra };
}

/** ana and bo report to max; ana moves to mia on 2026-02-15. Deal amounts chosen so rounding per deal differs. */
function org(lineMode: OverlayLines, overrides: Partial<PlanDefinition> = {}, extra = {}) {
  const s = new Scenario();
  s.given(
    s.rep("ana", { managerId: "max" }),
    s.rep("bo", { managerId: "max" }),
    s.rep("max", { managerId: "vp" }),
    s.rep("mia", { managerId: "vp" }),
    s.rep("vp"),
    s.plan("mgr", planDefinition([overlay(lineMode, extra)], overrides)),
    s.assign("max", "mgr"),
    s.assign("mia", "mgr"),
    s.assign("vp", "mgr"),
    s.manager("ana", "mia", "2026-02-15"),
    s.deal("D1", "1000.30", "2026-01-10"),
    s.deal("D2", "1000.30", "2026-01-20"),
    s.deal("D3", "1000.30", "2026-01-25", { repId: "bo" }),
    s.deal("D4", "2000", "2026-02-14"),
    s.deal("D5", "3000", "2026-02-20"),
  );
  return s;
}

describe("overlay lines per report", () => {
  it("one line per report and payout period, rounded once on the summed credit", () => {
    const max = org("per_report").when("max", "2026-Q1");
    // January: ana's D1 + D2 = 2,000.60 × 1.5% = 30.009 → 30.01 (per deal: 15.0045 → 15.00 twice = 30.00).
    expect(lines(max, ["overlay"])).toEqual([
      "overlay:report:ana:1:2026-01=30.01",
      "overlay:report:bo:1:2026-01=15",
      "overlay:report:ana:1:2026-02=30",
    ]);
    const january = max.entries[0];
    expect(january?.trace.inputs).toMatchObject({
      reportId: "ana",
      deals: "2",
      dealIds: "D1,D2",
      credit: "2000.6",
    });
    expect(january?.trace.arithmetic).toBe("1,000.3 + 1,000.3 = 2,000.6 × 1.5% = 30.01");
    expect(january?.trace.explanation).toContain("D1 on 2026-01-10");
    expect(january?.trace.explanation).toContain("D2 on 2026-01-20");
    expect(january?.trace.sourceEventIds).toEqual(
      expect.arrayContaining(["close-D1", "close-D2", "onboard-ana"]),
    );
    expect(january?.businessDate).toBe("2026-01-20");
    expect(january?.dealId).toBeUndefined();
    // The per-deal ledger pays the same deals, rounding each line.
    const perDeal = org("per_deal").when("max", "2026-Q1");
    expect(lines(perDeal, ["overlay"])).toEqual([
      "overlay:D1=15",
      "overlay:D2=15",
      "overlay:D3=15",
      "overlay:D4=30",
    ]);
  });

  it("follows the chain effective on each deal's date, and counts every level", () => {
    const s = org("per_report");
    // After the move ana's D5 rolls up to mia, not max.
    expect(lines(s.when("mia", "2026-Q1"), ["overlay"])).toEqual(["overlay:report:ana:1:2026-02=45"]);
    // The VP sees ana (two levels down) in both months, and bo once.
    expect(lines(s.when("vp", "2026-Q1"), ["overlay"])).toEqual([
      "overlay:report:ana:2:2026-01=30.01",
      "overlay:report:bo:2:2026-01=15",
      "overlay:report:ana:2:2026-02=75",
    ]);
  });

  it("quarterly payout periods make one line per report for the quarter", () => {
    const max = org("per_report", { payoutPeriod: "quarter" }).when("max", "2026-Q1");
    expect(lines(max, ["overlay"])).toEqual([
      "overlay:report:bo:1:2026-Q1=15",
      "overlay:report:ana:1:2026-Q1=60.01",
    ]);
  });

  it("an original-rate clawback takes back the deal's share of the line that paid it, on the cancel date", () => {
    const s = org("per_report", { clawback: { windowDays: 60, method: "original_rate" } });
    s.given(s.cancel("D2", "2026-03-01"));
    const max = s.when("max", "2026-Q1");
    expect(lines(max)).toEqual([
      "overlay:report:ana:1:2026-01=30.01",
      "overlay:report:bo:1:2026-01=15",
      "overlay:report:ana:1:2026-02=30",
      // 30.01 × 1,000.3 / 2,000.6 = 15.005 → 15.00 (HALF_EVEN)
      "clawback:D2=-15",
    ]);
    const clawback = max.entries[3];
    expect(clawback?.period).toBe("2026-03");
    expect(clawback?.trace.inputs.reversedEntry).toBe(max.entries[0]?.id);
    expect(clawback?.trace.sourceEventIds).toEqual(expect.arrayContaining(["close-D2", "cancel-D2"]));
  });

  it("a recompute clawback leaves the cancelled deal out of the line", () => {
    const s = org("per_report", { clawback: { windowDays: 60, method: "recompute" } });
    s.given(s.cancel("D2", "2026-03-01"));
    expect(lines(s.when("max", "2026-Q1"), ["overlay"])).toEqual([
      "overlay:report:ana:1:2026-01=15",
      "overlay:report:bo:1:2026-01=15",
      "overlay:report:ana:1:2026-02=30",
    ]);
  });

  it("a capped line claws back no more than it paid", () => {
    const s = org(
      "per_report",
      { clawback: { windowDays: 60, method: "original_rate" } },
      { earningsCap: { perPeriod: "40" } },
    );
    s.given(s.cancel("D3", "2026-03-01"));
    const max = s.when("max", "2026-Q1");
    // ana's January line (30.01) leaves 9.99 of the cap for bo's 15.
    expect(lines(max)).toEqual([
      "overlay:report:ana:1:2026-01=30.01",
      "overlay:report:bo:1:2026-01=9.99",
      "overlay:report:ana:1:2026-02=0",
      "clawback:D3=-9.99",
    ]);
  });

  it("a plan change inside a payout period gives each plan version its own line per report", () => {
    const s = new Scenario();
    const mgr = (rate: string) =>
      planDefinition([{ kind: "overlay", id: "overlay", name: "Team overlay", rate, lines: "per_report" }]);
    s.given(
      s.rep("ana", { managerId: "max" }),
      s.rep("max"),
      s.plan("mgr", mgr("0.01"), 1),
      s.plan("mgr", mgr("0.02"), 2),
      s.assign("max", "mgr", "2020-01-01", "2026-01-15", 1),
      s.assign("max", "mgr", "2026-01-16", null, 2),
      s.deal("D1", "1000", "2026-01-10"),
      s.deal("D2", "1000", "2026-01-20"),
    );
    const max = s.when("max", "2026-Q1");
    expect(lines(max, ["overlay"])).toEqual([
      "overlay:report:ana:1:2026-01=10",
      "overlay:report:ana:1:2026-01:from-2026-01-16=20",
    ]);
    expect(max.entries.map((e) => e.period)).toEqual(["2026-01", "2026-01"]);
  });

  it("is refused with pay on collection, naming the field and the rule", () => {
    const result = parsePlanDefinition(
      planDefinition([overlay("per_report")], { paymentTiming: { kind: "on_collection" } }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      expect.objectContaining({
        path: "components[0].lines",
        rule: expect.stringContaining("on_collection"),
      }),
    ]);
  });

  it("law: per-report lines pay exactly the deals per-deal lines pay, each line = rate × summed credit rounded once", () => {
    const amountArb = fc
      .integer({ min: 1, max: 5_000_000 })
      .map((c) => `${Math.trunc(c / 100)}.${String(c % 100).padStart(2, "0")}`);
    const dealArb = fc.record({
      amount: amountArb,
      day: fc.integer({ min: 1, max: 89 }),
      rep: fc.constantFrom("ana", "bo"),
    });
    fc.assert(
      fc.property(fc.array(dealArb, { minLength: 1, maxLength: 12 }), (deals) => {
        const build = (lineMode: OverlayLines) => {
          const s = new Scenario();
          s.given(
            s.rep("ana", { managerId: "max" }),
            s.rep("bo", { managerId: "max" }),
            s.rep("max"),
            s.plan("mgr", planDefinition([overlay(lineMode)])),
            s.assign("max", "mgr"),
            ...deals.map((d, i) => s.deal(`D${i}`, d.amount, dayOf2026Q1(d.day), { repId: d.rep })),
          );
          return s.when("max", "2026-Q1");
        };
        const perDeal = build("per_deal").entries;
        const perReport = build("per_report").entries;
        // The same deals, each exactly once.
        const dealIdsOf = perReport.flatMap((e) => (e.trace.inputs.dealIds ?? "").split(","));
        expect([...dealIdsOf].sort()).toEqual(perDeal.map((e) => e.dealId).sort());
        // Each line: rate × Σ credit of its deals, rounded once (HALF_EVEN, 2).
        for (const line of perReport) {
          const ids = new Set((line.trace.inputs.dealIds ?? "").split(","));
          const credit = perDeal
            .filter((e) => ids.has(e.dealId ?? "") && e.trace.inputs.reportId === line.trace.inputs.reportId)
            .reduce((sum, e) => sum.plus(new Decimal(e.trace.inputs.credit ?? "0")), new Decimal(0));
          expect(line.amount.toFixed()).toBe(roundDecimal(credit.times("0.015"), 2, "HALF_EVEN").toFixed());
        }
        // Totals differ by at most half a cent per deal rolled into a line.
        const gap = new Decimal(total(perReport)).minus(total(perDeal)).abs();
        expect(gap.lessThanOrEqualTo(new Decimal("0.005").times(perDeal.length))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

function dayOf2026Q1(day: number): string {
  const date = new Date(Date.UTC(2026, 0, day));
  return date.toISOString().slice(0, 10);
}
