import { describe, expect, it } from "vitest";
import type { Component } from "../../plan/types.js";
import { exceptionCodes, lines, planDefinition, Scenario, section8Table } from "../testing.js";

const spiff: Component = {
  kind: "spiff",
  id: "s",
  name: "Any deal",
  filter: {},
  payout: { kind: "fixed", amount: "100" },
};

describe("missing or zero quota", () => {
  it("no QuotaSet: credit still counts, rate tables pay nothing, a missing_quota exception is listed, SPIFFs still pay", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal"), spiff])),
      s.assign("ana", "p"),
      s.deal("D1", "60000", "2026-01-10"),
    );
    const result = s.when("ana", "2026-Q1");
    expect(exceptionCodes(result)).toEqual(["missing_quota"]);
    expect(result.exceptions[0]?.period).toBe("2026-Q1");
    expect(result.attainment).toMatchObject({ quota: undefined, ratio: undefined });
    expect(result.attainment.credit.toFixed()).toBe("60000");
    expect(lines(result)).toEqual(["spiff:D1=100"]);
  });

  it("a zero quota is treated as missing", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "0"),
      s.deal("D1", "60000", "2026-01-10"),
    );
    const result = s.when("ana", "2026-Q1");
    expect(exceptionCodes(result)).toEqual(["missing_quota"]);
    expect(result.entries).toEqual([]);
  });

  it("a quota set later (a backdated fact) makes the period pay from that position on", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p"),
      s.deal("D1", "60000", "2026-01-10"),
    );
    const before = s.at;
    s.given(s.quota("ana", "2026-Q1", "100000"));
    expect(lines(s.when("ana", "2026-Q1"))).toEqual(["earning:D1=6000"]);
    expect(s.when("ana", "2026-Q1", before).entries).toEqual([]);
  });

  it("a quota in another currency than the plan is a currency_mismatch exception", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "100000", "EUR"),
      s.deal("D1", "100", "2026-01-10"),
    );
    expect(exceptionCodes(s.when("ana", "2026-Q1"))).toEqual(["currency_mismatch", "missing_quota"]);
  });

  it("a period without credit needs no quota: no exception", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p"),
      s.adjustment("A1", "ana", "2026-02", "50", false),
    );
    const result = s.when("ana", "2026-Q1");
    expect(result.exceptions).toEqual([]);
    expect(lines(result)).toEqual(["adjustment:adj:A1=50"]);
  });

  it("no plan on a deal's date is a no_plan_assignment exception in the deal's month; an unpublished version is unknown_plan_version", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p", "2026-02-01"),
      s.assign("ana", "p", "2026-03-01", null, 7),
      s.deal("D1", "100", "2026-01-10"),
      s.deal("D2", "100", "2026-03-10"),
    );
    expect(exceptionCodes(s.when("ana", "2026-01"))).toEqual(["no_plan_assignment:D1"]);
    const march = s.when("ana", "2026-03");
    expect(exceptionCodes(march)).toEqual(["unknown_plan_version:D2"]);
    expect(march.exceptions[0]?.message).toContain("plan p v7 is not published");
  });
});

describe("proration", () => {
  it("a rep hired mid-quarter gets the quota prorated by calendar days", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana", { hireDate: "2026-02-15" }),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p", "2026-01-01"),
      s.quota("ana", "2026-Q1", "90000"),
      s.deal("D1", "60000", "2026-03-01"),
    );
    const result = s.when("ana", "2026-Q1");
    // 45 of the quarter's 90 days: quota 45,000. 45,000 × 10% + 15,000 × 15% = 6,750.
    expect(result.attainment.quota?.toFixed()).toBe("45000");
    expect(lines(result)).toEqual(["earning:D1=6750"]);
  });

  it("a plan change mid-quarter splits it into two stretches, each with its prorated quota and own running attainment", () => {
    const s = new Scenario();
    const retro = section8Table("retroactive");
    s.given(
      s.rep("ana"),
      s.plan("p1", planDefinition([section8Table("marginal")])),
      s.plan("p2", planDefinition([retro])),
      s.assign("ana", "p1", "2026-01-01"),
      s.assign("ana", "p2", "2026-02-15"),
      s.quota("ana", "2026-Q1", "90000"),
      s.deal("D1", "50000", "2026-01-10"),
      s.deal("D2", "60000", "2026-03-01"),
    );
    const result = s.when("ana", "2026-Q1");
    // Each stretch has 45 days: quota 45,000. D1 under p1: 45,000 × 10% + 5,000 × 15% = 5,250.
    // D2 starts p2 from zero attainment: 60,000 / 45,000 = 133% → retroactive 15% = 9,000.
    expect(lines(result)).toEqual(["earning:D1=5250", "earning:D2=9000"]);
    expect(result.plans).toEqual([
      { planId: "p1", version: 1 },
      { planId: "p2", version: 1 },
    ]);
    expect(result.attainment.quota?.toFixed()).toBe("90000");
    expect(result.entries.map((e) => e.trace.planId)).toEqual(["p1", "p2"]);
  });

  it("a deal before the hire date is not credited (no plan in force yet)", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana", { hireDate: "2026-02-15" }),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p", "2026-01-01"),
      s.quota("ana", "2026-Q1", "90000"),
      s.deal("D1", "60000", "2026-02-01"),
    );
    expect(exceptionCodes(s.when("ana", "2026-Q1"))).toEqual(["no_plan_assignment:D1"]);
  });
});

describe("calendars and period kinds", () => {
  it("a fiscal year starting in February puts January in Q4 of the fiscal year that ends then", () => {
    const s = new Scenario();
    s.given(
      s.calendar("UTC", 2),
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q4", "100000"),
      s.deal("D1", "60000", "2026-01-15"),
    );
    const result = s.when("ana", "2026-Q4");
    expect(lines(result)).toEqual(["earning:D1=6000"]);
    expect(result.entries[0]?.period).toBe("2026-01");
  });

  it("a yearly quota with quarterly payouts", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan(
        "p",
        planDefinition([section8Table("marginal")], { quotaPeriod: "year", payoutPeriod: "quarter" }),
      ),
      s.assign("ana", "p"),
      s.quota("ana", "FY2026", "100000"),
      s.deal("D1", "60000", "2026-02-15"),
      s.deal("D2", "70000", "2026-11-15"),
    );
    const result = s.when("ana", "FY2026");
    expect(lines(result)).toEqual(["earning:D1=6000", "earning:D2=8500"]);
    expect(result.entries.map((e) => e.period)).toEqual(["2026-Q1", "2026-Q4"]);
  });
});
