import { describe, expect, it } from "vitest";
import type { Component } from "../../plan/types.js";
import { periodExceptions } from "../period-exceptions.js";
import { exceptionCodes, lines, planDefinition, Scenario } from "../testing.js";

const flat: Component = {
  kind: "rate_table",
  id: "c",
  name: "C",
  method: "marginal",
  bands: [{ from: "0", to: null, rate: "0.1" }],
};

function scenario(...reps: string[]) {
  const s = new Scenario();
  s.given(s.plan("p", planDefinition([flat])));
  for (const rep of reps) s.given(s.rep(rep), s.assign(rep, "p"), s.quota(rep, "2026-Q1", "1000"));
  return s;
}

describe("credit splits", () => {
  it("100.00 split three ways credits 33.34 / 33.33 / 33.33 (§8)", () => {
    const s = scenario("a", "b", "c");
    s.given(
      s.deal("D1", "100.00", "2026-01-10", {
        splits: [
          ["a", "0.33334"],
          ["b", "0.33333"],
          ["c", "0.33333"],
        ],
      }),
    );
    expect(["a", "b", "c"].map((r) => s.when(r, "2026-Q1").attainment.credit.toFixed(2))).toEqual([
      "33.34",
      "33.33",
      "33.33",
    ]);
  });

  it("explains the rep's part and keeps the unrounded intermediates", () => {
    const s = scenario("a", "b");
    s.given(
      s.deal("D-42", "120000", "2026-01-10", {
        splits: [
          ["a", "0.5"],
          ["b", "0.5"],
        ],
      }),
    );
    const line = s.when("a", "2026-Q1").entries[0];
    expect(line?.trace.explanation).toBe("Deal D-42: 120,000 × 50% = 60,000 credit; attainment 0% → 6,000%");
    expect(line?.trace.inputs).toMatchObject({ dealAmount: "120000", share: "0.5", creditRounded: "60000" });
  });

  it("shares that do not sum to 1 are a bad_splits exception; nobody is credited", () => {
    const s = scenario("a", "b");
    s.given(
      s.deal("D1", "100", "2026-01-10", {
        splits: [
          ["a", "0.5"],
          ["b", "0.4"],
        ],
      }),
    );
    for (const rep of ["a", "b"]) {
      const result = s.when(rep, "2026-Q1");
      expect(exceptionCodes(result)).toEqual(["bad_splits:D1"]);
      expect(result.exceptions[0]?.message).toContain("sum to 0.9");
      expect(result.entries).toEqual([]);
    }
  });

  it("an amendment fixing the splits clears the exception", () => {
    const s = scenario("a", "b");
    s.given(
      s.deal("D1", "100", "2026-01-10", {
        splits: [
          ["a", "0.5"],
          ["b", "0.4"],
        ],
      }),
      s.amend("D1", {
        splits: [
          { repId: "a", share: "0.5" },
          { repId: "b", share: "0.5" },
        ],
      }),
    );
    expect(s.when("a", "2026-Q1").exceptions).toEqual([]);
    expect(lines(s.when("b", "2026-Q1"))).toEqual(["earning:D1=5"]);
  });

  it("a rep never onboarded is an unknown_rep period exception; the known rep still gets their share", () => {
    const s = scenario("a");
    s.given(
      s.deal("D1", "100", "2026-01-10", {
        splits: [
          ["a", "0.5"],
          ["ghost", "0.5"],
        ],
      }),
    );
    expect(s.when("a", "2026-Q1").attainment.credit.toFixed()).toBe("50");
    expect(s.when("ghost", "2026-Q1").entries).toEqual([]);
    const exceptions = periodExceptions(s.facts);
    expect(exceptions.map((e) => [e.code, e.repId, e.dealId, e.period])).toEqual([
      ["unknown_rep", "ghost", "D1", "2026-01"],
    ]);
    // Onboarding the rep later resolves it from that position on, not before.
    const before = s.at;
    s.given(s.rep("ghost"));
    expect(periodExceptions(s.facts)).toEqual([]);
    expect(periodExceptions(s.facts, before)).toHaveLength(1);
  });

  it("amendments and cancellations for a deal that never closed are unknown_deal exceptions", () => {
    const s = scenario("a");
    s.given(s.cancel("NOPE", "2026-01-10"));
    expect(periodExceptions(s.facts).map((e) => [e.code, e.dealId])).toEqual([["unknown_deal", "NOPE"]]);
  });
});
