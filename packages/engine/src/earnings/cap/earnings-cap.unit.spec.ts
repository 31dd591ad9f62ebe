import { describe, expect, it } from "vitest";
import { lines, planDefinition, Scenario, section8Table, total } from "../testing.js";

function scenario(earningsCap: { perPeriod?: string; perYear?: string }) {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([section8Table("marginal", { earningsCap })])),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
    s.quota("ana", "2026-Q2", "100000"),
    s.deal("D1", "60000", "2026-01-10"),
    s.deal("D2", "70000", "2026-02-10"),
    s.deal("D3", "50000", "2026-03-10"),
    s.deal("D4", "80000", "2026-04-10"),
  );
  return s;
}

describe("earnings cap", () => {
  it("per period: the line reaching the cap is reduced, later lines stay at 0 marked capped", () => {
    const result = scenario({ perPeriod: "10000" }).when("ana", "2026-Q1");
    expect(lines(result)).toEqual(["earning:D1=6000", "earning:D2=4000", "earning:D3=0"]);
    expect(total(result.entries)).toBe("10000");
    expect(result.entries[1]?.trace.arithmetic).toBe("40,000 × 10% + 30,000 × 15% = 8,500 → 4,000 (capped)");
    expect(result.entries[2]?.trace.explanation).toContain(
      "capped by the period cap 10,000: pays 0 of 9,000",
    );
  });

  it("per period: the cap resets in the next quota period", () => {
    expect(lines(scenario({ perPeriod: "10000" }).when("ana", "2026-Q2"))).toEqual(["earning:D4=8000"]);
  });

  it("per year: counts what earlier quota periods of the fiscal year paid", () => {
    const s = scenario({ perYear: "30000" });
    expect(total(s.when("ana", "2026-Q1").entries)).toBe("23500");
    const q2 = s.when("ana", "2026-Q2");
    expect(lines(q2)).toEqual(["earning:D4=6500"]);
    expect(q2.entries[0]?.trace.explanation).toContain("year cap 30,000 − 23,500 paid earlier this year");
  });

  it("period and year caps together: the tighter one applies", () => {
    const s = scenario({ perPeriod: "10000", perYear: "15000" });
    expect(total(s.when("ana", "2026-Q1").entries)).toBe("10000");
    expect(total(s.when("ana", "2026-Q2").entries)).toBe("5000");
  });
});
