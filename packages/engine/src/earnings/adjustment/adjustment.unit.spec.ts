import { describe, expect, it } from "vitest";
import { exceptionCodes, lines, planDefinition, Scenario, section8Table, total } from "../testing.js";

function scenario() {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([section8Table("marginal")])),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
  );
  return s;
}

describe("adjustments", () => {
  it("not counting toward quota: a signed adjustment line in the payout period containing the period's end", () => {
    const s = scenario();
    s.given(
      s.adjustment("A1", "ana", "2026-01", "500", false),
      s.adjustment("A2", "ana", "2026-Q1", "-200.50", false),
    );
    const result = s.when("ana", "2026-Q1");
    expect(lines(result)).toEqual(["adjustment:adj:A1=500", "adjustment:adj:A2=-200.5"]);
    expect(result.entries.map((e) => [e.period, e.businessDate])).toEqual([
      ["2026-01", "2026-01-31"],
      ["2026-03", "2026-03-31"],
    ]);
    expect(result.entries[0]?.trace.explanation).toBe(
      "Adjustment A1 by finance@example.com for 2026-01: manual correction",
    );
    expect(result.attainment.credit.toFixed()).toBe("0");
  });

  it("counting toward quota: credit that enters attainment after the day's deals and earns through the rate table", () => {
    const s = scenario();
    s.given(
      s.deal("D1", "90000", "2026-03-31"),
      s.adjustment("A1", "ana", "2026-03", "20000", true),
      s.deal("D0", "0", "2026-03-30"),
    );
    const result = s.when("ana", "2026-Q1");
    // The adjustment is dated 2026-03-31, after D1 of the same day: 10,000 × 10% + 10,000 × 15%.
    expect(lines(result)).toEqual(["earning:D0=0", "earning:D1=9000", "adjustment:adj:A1=2500"]);
    expect(result.attainment.credit.toFixed()).toBe("110000");
  });

  it("a negative quota-counting adjustment takes credit back down through the bands", () => {
    const s = scenario();
    s.given(s.deal("D1", "110000", "2026-01-10"), s.adjustment("A1", "ana", "2026-02", "-30000", true));
    const result = s.when("ana", "2026-Q1");
    expect(lines(result)).toEqual(["earning:D1=11500", "adjustment:adj:A1=-3500"]);
    expect(result.entries[1]?.trace.arithmetic).toBe("−(20,000 × 10% + 10,000 × 15%) = -3,500");
    expect(total(result.entries)).toBe("8000");
  });

  it("an adjustment in another currency than the plan is an exception", () => {
    const s = scenario();
    s.given(s.adjustment("A1", "ana", "2026-01", "500", false, "EUR"));
    const result = s.when("ana", "2026-Q1");
    expect(result.entries).toEqual([]);
    expect(exceptionCodes(result)).toEqual(["currency_mismatch"]);
  });
});
