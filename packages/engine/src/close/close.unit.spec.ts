import type { Decimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import { Scenario } from "../examples/scenario.js";
import type { PlanDefinition } from "../plan/index.js";
import { SECTION_8_PLAN } from "../plan/index.js";
import { statementDigest } from "../statement/index.js";

const money = (d: Decimal) => d.toFixed(2);
const FLAT: PlanDefinition = {
  ...SECTION_8_PLAN,
  components: [
    {
      kind: "rate_table",
      id: "flat",
      name: "Flat 10%",
      method: "marginal",
      bands: [{ from: "0", to: null, rate: "0.10" }],
    },
  ],
};

function monthly(plan: PlanDefinition = FLAT): Scenario {
  const s = new Scenario();
  s.plan("p", plan);
  s.rep("ana", "2026-01-01");
  s.assign("ana", "p", "2026-01-01");
  s.quota("ana", "2026-Q1", "100000.00");
  s.deal("D1", "10000.00", "2026-01-10", [{ repId: "ana", share: "1" }]);
  return s;
}
const ppaOf = (s: Scenario, period: string, options = {}) =>
  s.engine
    .statement("ana", period, options)
    .entries.filter((e) => e.kind === "prior_period_adjustment")
    .map((e) => [e.trace.inputs.closedPeriod, money(e.amount), e.trace.sourceEventIds.join(",")]);

describe("close and late facts", () => {
  it("a closed statement is frozen: a late deal does not change it, the next open period carries the difference", () => {
    const s = monthly();
    const before = s.engine.statement("ana", "2026-01");
    s.close("2026-01");
    const closedAt = s.position;
    s.deal("LATE", "5000.00", "2026-01-20", [{ repId: "ana", share: "1" }]);
    const jan = s.engine.statement("ana", "2026-01");
    expect(statementDigest(jan)).toBe(statementDigest(before));
    expect(money(jan.payable)).toBe("1000.00");
    expect(jan.closed?.position).toBe(closedAt);
    expect(ppaOf(s, "2026-02")).toEqual([["2026-01", "500.00", "deal-LATE"]]);
    // As of the close, February had nothing to adjust.
    expect(ppaOf(s, "2026-02", { throughPosition: closedAt })).toEqual([]);
  });

  it("never double-posts: a second close and a second late fact adjust only what is new", () => {
    const s = monthly();
    s.close("2026-01");
    s.deal("LATE1", "5000.00", "2026-01-20", [{ repId: "ana", share: "1" }]);
    expect(ppaOf(s, "2026-02")).toEqual([["2026-01", "500.00", "deal-LATE1"]]);
    s.close("2026-02");
    s.deal("LATE2", "2000.00", "2026-01-25", [{ repId: "ana", share: "1" }]);
    expect(ppaOf(s, "2026-02")).toEqual([["2026-01", "500.00", "deal-LATE1"]]);
    expect(ppaOf(s, "2026-03")).toEqual([["2026-01", "200.00", "deal-LATE2"]]);
    const total = ["2026-01", "2026-02", "2026-03"]
      .map((p) => s.engine.statement("ana", p).payable)
      .reduce((a, b) => a.plus(b));
    expect(money(total)).toBe("1700.00");
  });

  it("closing a quarter freezes its months; the correction lands in the first month after it", () => {
    const s = monthly();
    s.close("2026-Q1");
    s.deal("LATE", "3000.00", "2026-02-14", [{ repId: "ana", share: "1" }]);
    expect(money(s.engine.statement("ana", "2026-02").payable)).toBe("0.00");
    expect(s.engine.statement("ana", "2026-02").closed).toBeDefined();
    expect(ppaOf(s, "2026-03")).toEqual([]);
    expect(ppaOf(s, "2026-04")).toEqual([["2026-02", "300.00", "deal-LATE"]]);
  });

  it("a backdated quota change recomputes the closed quarter under marginal bands", () => {
    const s = new Scenario();
    s.plan("p8", { ...SECTION_8_PLAN, payoutPeriod: "quarter" });
    s.rep("ana");
    s.assign("ana", "p8");
    s.quota("ana", "2026-Q1", "100000.00");
    s.deal("D1", "120000.00", "2026-02-01", [{ repId: "ana", share: "1" }]);
    expect(money(s.engine.statement("ana", "2026-Q1").payable)).toBe("13000.00");
    s.close("2026-Q1");
    s.quota("ana", "2026-Q1", "80000.00"); // 80,000 × 10% + 40,000 × 15% = 14,000
    expect(money(s.engine.statement("ana", "2026-Q1").payable)).toBe("13000.00");
    const q2 = s.engine.statement("ana", "2026-Q2");
    expect(q2.entries.map((e) => [e.kind, money(e.amount)])).toEqual([
      ["prior_period_adjustment", "1000.00"],
    ]);
    expect(q2.entries[0]?.trace.sourceEventIds.some((id) => id.startsWith("quota-ana-2026-Q1"))).toBe(true);
  });

  it("draw balances carry from the frozen statement", () => {
    const s = monthly({
      ...FLAT,
      components: [
        ...FLAT.components,
        { kind: "draw", id: "draw", name: "Draw", amount: "5000.00", recoverable: true },
      ],
    });
    expect(money(s.engine.statement("ana", "2026-01").closingBalance.drawDeficit)).toBe("4000.00");
    s.close("2026-01");
    s.deal("LATE", "20000.00", "2026-01-20", [{ repId: "ana", share: "1" }]);
    const jan = s.engine.statement("ana", "2026-01");
    expect(money(jan.closingBalance.drawDeficit)).toBe("4000.00");
    const feb = s.engine.statement("ana", "2026-02");
    expect(money(feb.openingBalance.drawDeficit)).toBe("4000.00");
    // February earns nothing itself; the +2,000 correction counts toward the draw: advance 3,000.
    expect(feb.entries.map((e) => [e.kind, money(e.amount)])).toEqual([
      ["prior_period_adjustment", "2000.00"],
      ["draw_advance", "3000.00"],
    ]);
    expect(money(feb.closingBalance.drawDeficit)).toBe("7000.00");
  });
});
