import { describe, expect, it } from "vitest";
import { lines, planDefinition, Scenario, section8Table, total } from "../testing.js";

function scenario() {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([section8Table("marginal")], { cumulative: "ytd" })),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
    s.quota("ana", "2026-Q2", "100000"),
    s.quota("ana", "2026-Q3", "100000"),
    s.deal("D1", "120000", "2026-02-10"),
    s.deal("D2", "50000", "2026-04-10"),
    s.deal("D3", "100000", "2026-07-10"),
  );
  return s;
}

describe("year-to-date cumulative plans", () => {
  it("Q1 pays on Q1 credit against the Q1 quota", () => {
    expect(lines(scenario().when("ana", "2026-Q1"))).toEqual(["earning:D1=13000"]);
  });

  it("crossing into Q2 re-rates the year's credit against the larger YTD quota: a negative true-up on Q2's first deal", () => {
    const q2 = scenario().when("ana", "2026-Q2");
    // YTD quota 200,000: the 120,000 of Q1 now earns 12,000 (all below 100%), 1,000 less than paid.
    // D2 moves YTD credit 120,000 → 170,000 at 10% = 5,000.
    expect(lines(q2)).toEqual(["earning:D2=5000", "true_up:D2=-1000"]);
    expect(q2.entries[0]?.trace.explanation).toContain("year to date against quota 200,000");
    expect(q2.attainment.credit.toFixed()).toBe("50000");
  });

  it("paid so far always equals earned year to date (earned YTD minus already paid)", () => {
    const s = scenario();
    const paid = ["2026-Q1", "2026-Q2", "2026-Q3"].map((qp) => total(s.when("ana", qp).entries));
    // Q3: YTD quota 300,000, credit 270,000, all at 10% = 27,000 earned; paid before 13,000 + 4,000.
    expect(paid).toEqual(["13000", "4000", "10000"]);
    expect(lines(s.when("ana", "2026-Q3"))).toEqual(["earning:D3=10000"]);
  });

  it("a new fiscal year starts from zero", () => {
    const s = scenario();
    s.given(s.quota("ana", "2027-Q1", "100000"), s.deal("D4", "120000", "2027-01-10"));
    expect(lines(s.when("ana", "2027-Q1"))).toEqual(["earning:D4=13000"]);
  });
});
