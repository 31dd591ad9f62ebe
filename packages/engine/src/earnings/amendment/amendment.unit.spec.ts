import { describe, expect, it } from "vitest";
import { lines, planDefinition, Scenario, section8Table } from "../testing.js";

function scenario() {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.rep("bob"),
    s.plan("p", planDefinition([section8Table("marginal")])),
    s.assign("ana", "p"),
    s.assign("bob", "p"),
    s.quota("ana", "2026-Q1", "100000"),
    s.quota("ana", "2026-Q2", "100000"),
    s.quota("bob", "2026-Q1", "100000"),
    s.deal("D1", "60000", "2026-01-10"),
    s.deal("D2", "70000", "2026-02-10"),
  );
  return s;
}

describe("DealAmended", () => {
  it("replaces the amount from its position on; earlier positions still see the original", () => {
    const s = scenario();
    const before = s.at;
    s.given(s.amend("D1", { amount: "80000" }));
    expect(lines(s.when("ana", "2026-Q1"))).toEqual(["earning:D1=8000", "earning:D2=9500"]);
    expect(lines(s.when("ana", "2026-Q1", before))).toEqual(["earning:D1=6000", "earning:D2=8500"]);
    const trace = s.when("ana", "2026-Q1").entries[0]?.trace;
    expect(trace?.sourceEventIds).toContain("amend-D1-1");
  });

  it("a changed close date moves the deal to another quota period", () => {
    const s = scenario();
    s.given(s.amend("D1", { closeDate: "2026-04-02" }));
    expect(lines(s.when("ana", "2026-Q1"))).toEqual(["earning:D2=7000"]);
    expect(lines(s.when("ana", "2026-Q2"))).toEqual(["earning:D1=6000"]);
  });

  it("a close date moved to another month of the same quarter credits the deal once", () => {
    // The deal is now indexed under two months of the rep, both inside the quarter's candidate window.
    const s = scenario();
    s.given(s.amend("D1", { closeDate: "2026-02-20" }));
    expect(lines(s.when("ana", "2026-Q1"))).toEqual(["earning:D2=7000", "earning:D1=7500"]);
  });

  it("changed splits move the credit to another rep", () => {
    const s = scenario();
    s.given(s.amend("D2", { splits: [{ repId: "bob", share: "1" }] }));
    expect(lines(s.when("ana", "2026-Q1"))).toEqual(["earning:D1=6000"]);
    expect(lines(s.when("bob", "2026-Q1"))).toEqual(["earning:D2=7000"]);
  });
});
