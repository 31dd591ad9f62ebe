import { Decimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import type { PlanDefinition, RateTableComponent } from "../plan/index.js";
import { SECTION_8_PLAN } from "../plan/index.js";
import { statementDigest } from "../statement/index.js";
import { Scenario } from "./scenario.js";

// DOMAIN.md §8, every worked example through the Engine facade with real events.

const commission = SECTION_8_PLAN.components[0] as RateTableComponent;
const money = (d: Decimal) => d.toFixed(2);

function section8(plan: PlanDefinition = SECTION_8_PLAN): Scenario {
  const s = new Scenario();
  s.plan("p8", plan);
  s.rep("ana");
  s.assign("ana", "p8");
  s.quota("ana", "2026-Q1", "100000.00");
  s.deal("D1", "60000.00", "2026-01-15", [{ repId: "ana", share: "1" }]);
  s.deal("D2", "70000.00", "2026-02-10", [{ repId: "ana", share: "1" }]);
  s.deal("D3", "50000.00", "2026-03-05", [{ repId: "ana", share: "1" }]);
  return s;
}

describe("DOMAIN §8 worked examples", () => {
  it("marginal bands: deals pay 6,000 / 8,500 / 9,000 = 23,500", () => {
    const s = section8();
    const payables = ["2026-01", "2026-02", "2026-03"].map((p) =>
      money(s.engine.statement("ana", p).payable),
    );
    expect(payables).toEqual(["6000.00", "8500.00", "9000.00"]);
    const perDeal = (dealId: string) =>
      ["2026-01", "2026-02", "2026-03"]
        .flatMap((p) => s.engine.statement("ana", p).entries)
        .filter((e) => e.dealId === dealId)
        .reduce((sum, e) => sum.plus(e.amount), new Decimal(0));
    expect([money(perDeal("D1")), money(perDeal("D2")), money(perDeal("D3"))]).toEqual([
      "6000.00",
      "8500.00",
      "9000.00",
    ]);
    const march = s.engine.statement("ana", "2026-03");
    expect(march.attainment.map((a) => [a.quotaPeriod, money(a.credit), a.ratio?.toFixed(2)])).toEqual([
      ["2026-Q1", "180000.00", "1.80"],
    ]);
  });

  it("retroactive bands: the same 180,000 pays 180,000 × 20% = 36,000", () => {
    const s = section8({ ...SECTION_8_PLAN, components: [{ ...commission, method: "retroactive" }] });
    const total = ["2026-01", "2026-02", "2026-03"]
      .map((p) => s.engine.statement("ana", p).payable)
      .reduce((a, b) => a.plus(b), new Decimal(0));
    expect(money(total)).toBe("36000.00");
  });

  describe("close, then deal 2 is cancelled inside the clawback window", () => {
    const quarterly = (method: "recompute" | "original_rate"): Scenario => {
      const s = section8({
        ...SECTION_8_PLAN,
        payoutPeriod: "quarter",
        clawback: { windowDays: 90, method },
      });
      expect(money(s.engine.statement("ana", "2026-Q1").payable)).toBe("23500.00");
      s.close("2026-Q1");
      return s;
    };

    it("by recompute: the closed quarter stays at 23,500 and the next statement carries −12,000", () => {
      const s = quarterly("recompute");
      const closedDigest = statementDigest(s.engine.statement("ana", "2026-Q1"));
      s.add("DealCancelled", "cancel-D2", {
        dealId: "D2",
        cancelDate: "2026-04-20",
        reason: "customer backed out",
      });
      const q1 = s.engine.statement("ana", "2026-Q1");
      expect(money(q1.payable)).toBe("23500.00");
      expect(statementDigest(q1)).toBe(closedDigest);
      expect(q1.closed?.eventId).toMatch(/^close-2026-Q1/);
      const q2 = s.engine.statement("ana", "2026-Q2");
      const ppa = q2.entries.filter((e) => e.kind === "prior_period_adjustment");
      expect(ppa.map((e) => money(e.amount))).toEqual(["-12000.00"]);
      expect(ppa[0]?.trace.sourceEventIds).toContain("cancel-D2");
      expect(money(q2.payable)).toBe("-12000.00");
    });

    it("at the original rate: the clawback lines (−8,500) land in the open cancel-date period", () => {
      const s = quarterly("original_rate");
      s.add("DealCancelled", "cancel-D2", {
        dealId: "D2",
        cancelDate: "2026-04-20",
        reason: "customer backed out",
      });
      expect(money(s.engine.statement("ana", "2026-Q1").payable)).toBe("23500.00");
      const q2 = s.engine.statement("ana", "2026-Q2");
      expect(q2.entries.filter((e) => e.kind === "prior_period_adjustment")).toEqual([]);
      expect(money(q2.totals.clawback)).toBe("-8500.00");
      expect(money(q2.payable)).toBe("-8500.00");
    });
  });

  describe("draws: 5,000 a month against earnings 2,000 / 9,000 / 4,000", () => {
    const drawPlan = (recoverable: boolean): PlanDefinition => ({
      ...SECTION_8_PLAN,
      components: [
        {
          kind: "rate_table",
          id: "flat",
          name: "Flat 10%",
          method: "marginal",
          bands: [{ from: "0", to: null, rate: "0.10" }],
        },
        { kind: "draw", id: "draw", name: "Monthly draw", amount: "5000.00", recoverable },
      ],
    });
    const run = (recoverable: boolean) => {
      const s = new Scenario();
      s.plan("pd", drawPlan(recoverable));
      s.rep("bo", "2026-01-01");
      s.assign("bo", "pd", "2026-01-01");
      s.quota("bo", "2026-Q1", "1000000.00");
      s.deal("E1", "20000.00", "2026-01-20", [{ repId: "bo", share: "1" }]);
      s.deal("E2", "90000.00", "2026-02-20", [{ repId: "bo", share: "1" }]);
      s.deal("E3", "40000.00", "2026-03-20", [{ repId: "bo", share: "1" }]);
      return ["2026-01", "2026-02", "2026-03"].map((p) => s.engine.statement("bo", p));
    };

    it("recoverable: paid 5,000 / 6,000 / 5,000, carried deficit 3,000 / 0 / 1,000", () => {
      const statements = run(true);
      expect(statements.map((st) => money(st.payable))).toEqual(["5000.00", "6000.00", "5000.00"]);
      expect(statements.map((st) => money(st.closingBalance.drawDeficit))).toEqual([
        "3000.00",
        "0.00",
        "1000.00",
      ]);
      expect(statements.map((st) => money(st.openingBalance.drawDeficit))).toEqual([
        "0.00",
        "3000.00",
        "0.00",
      ]);
      expect(
        statements[1]?.entries.filter((e) => e.kind === "draw_recovery").map((e) => money(e.amount)),
      ).toEqual(["-3000.00"]);
    });

    it("non-recoverable: paid 5,000 / 9,000 / 5,000, nothing carried", () => {
      const statements = run(false);
      expect(statements.map((st) => money(st.payable))).toEqual(["5000.00", "9000.00", "5000.00"]);
      expect(statements.map((st) => money(st.closingBalance.drawDeficit))).toEqual(["0.00", "0.00", "0.00"]);
    });
  });

  it("100.00 split three ways credits 33.34 / 33.33 / 33.33", () => {
    const s = new Scenario();
    s.plan("p8", SECTION_8_PLAN);
    for (const rep of ["r1", "r2", "r3"]) {
      s.rep(rep);
      s.assign(rep, "p8");
      s.quota(rep, "2026-Q1", "1000.00");
    }
    s.deal("S1", "100.00", "2026-02-01", [
      { repId: "r1", share: "0.33334" },
      { repId: "r2", share: "0.33333" },
      { repId: "r3", share: "0.33333" },
    ]);
    const credits = ["r1", "r2", "r3"].map((rep) =>
      money(s.engine.statement(rep, "2026-02").attainment[0]?.credit ?? new Decimal(-1)),
    );
    expect(credits).toEqual(["33.34", "33.33", "33.33"]);
  });

  it("EUR 10,000 closed 2026-03-15 at EUR→USD 1.0850 (effective 2026-03-14) credits USD 10,850.00", () => {
    const s = new Scenario();
    s.plan("p8", SECTION_8_PLAN);
    s.rep("eu");
    s.assign("eu", "p8");
    s.quota("eu", "2026-Q1", "100000.00");
    s.add("FxRatePublished", "fx-1", {
      base: "EUR",
      quote: "USD",
      rate: "1.0850",
      effectiveDate: "2026-03-14",
    });
    s.deal("F1", "10000.00", "2026-03-15", [{ repId: "eu", share: "1" }], "EUR");
    const march = s.engine.statement("eu", "2026-03");
    expect(march.attainment.map((a) => [a.quotaPeriod, money(a.credit)])).toEqual([["2026-Q1", "10850.00"]]);
    expect(money(march.payable)).toBe("1085.00");
    expect(march.exceptions).toEqual([]);
  });
});
