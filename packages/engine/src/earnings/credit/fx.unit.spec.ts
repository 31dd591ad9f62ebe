import { describe, expect, it } from "vitest";
import type { Component } from "../../plan/types.js";
import { exceptionCodes, lines, planDefinition, Scenario } from "../testing.js";

const flat: Component = {
  kind: "rate_table",
  id: "c",
  name: "C",
  method: "marginal",
  bands: [{ from: "0", to: null, rate: "0.1" }],
};

function scenario() {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([flat])),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
  );
  return s;
}

describe("FX conversion of credit", () => {
  it("EUR 10,000 closed 2026-03-15 with EUR→USD 1.0850 effective 2026-03-14 credits USD 10,850.00 (§8)", () => {
    const s = scenario();
    s.given(
      s.fx("EUR", "USD", "1.0850", "2026-03-14"),
      s.deal("E1", "10000", "2026-03-15", { currency: "EUR" }),
    );
    const result = s.when("ana", "2026-Q1");
    expect(result.attainment.credit.toFixed(2)).toBe("10850.00");
    expect(lines(result)).toEqual(["earning:E1=1085"]);
    expect(result.entries[0]?.trace.sourceEventIds).toContain("fx-1");
    expect(result.entries[0]?.trace.explanation).toContain("EUR 10,000 × 1.085 = USD 10,850");
  });

  it("a rate effective on the close date itself is used; a later one is not", () => {
    const s = scenario();
    s.given(
      s.fx("EUR", "USD", "1.0850", "2026-03-14"),
      s.fx("EUR", "USD", "1.1000", "2026-03-15"),
      s.fx("EUR", "USD", "1.2000", "2026-03-16"),
      s.deal("E1", "10000", "2026-03-15", { currency: "EUR" }),
    );
    expect(s.when("ana", "2026-Q1").attainment.credit.toFixed()).toBe("11000");
  });

  it("uses the inverse of the opposite pair when only that was published", () => {
    const s = scenario();
    s.given(s.fx("USD", "EUR", "0.8", "2026-01-01"), s.deal("E1", "1000", "2026-03-15", { currency: "EUR" }));
    expect(s.when("ana", "2026-Q1").attainment.credit.toFixed()).toBe("1250");
  });

  it("a currency with no rate is a missing_fx_rate exception and the deal is not credited", () => {
    const s = scenario();
    s.given(s.deal("G1", "1000", "2026-03-15", { currency: "GBP" }), s.deal("U1", "1000", "2026-03-16"));
    const result = s.when("ana", "2026-Q1");
    expect(exceptionCodes(result)).toEqual(["missing_fx_rate:G1"]);
    expect(result.exceptions[0]?.period).toBe("2026-03");
    expect(lines(result)).toEqual(["earning:U1=100"]);
  });

  it("a rate published only after the close date does not apply", () => {
    const s = scenario();
    s.given(s.fx("EUR", "USD", "1.1", "2026-03-16"), s.deal("E1", "1000", "2026-03-15", { currency: "EUR" }));
    expect(exceptionCodes(s.when("ana", "2026-Q1"))).toEqual(["missing_fx_rate:E1"]);
  });

  it("credits the margin, converted, when the plan measures margin", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([flat], { measure: "margin" })),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "100000"),
      s.fx("EUR", "USD", "2", "2026-01-01"),
      s.deal("E1", "10000", "2026-03-15", { currency: "EUR", margin: "2500" }),
    );
    expect(s.when("ana", "2026-Q1").attainment.credit.toFixed()).toBe("5000");
  });
});
