import { describe, expect, it } from "vitest";
import type { Component } from "../../plan/types.js";
import { lines, planDefinition, Scenario } from "../testing.js";

const fixed: Component = {
  kind: "spiff",
  id: "launch",
  name: "Gadget launch SPIFF",
  filter: {
    products: ["gadget"],
    dealTypes: ["new"],
    closeDateFrom: "2026-02-01",
    closeDateTo: "2026-02-28",
    minAmount: "1000",
  },
  payout: { kind: "fixed", amount: "500" },
};

function run(component: Component, deals: ReturnType<Scenario["deal"]>[], s = new Scenario()) {
  s.given(
    s.rep("ana"),
    s.rep("bob"),
    s.plan("p", planDefinition([component])),
    s.assign("ana", "p"),
    s.assign("bob", "p"),
  );
  s.given(...deals);
  return s.when("ana", "2026-Q1");
}

describe("SPIFF", () => {
  it("pays a fixed amount per qualifying deal; both window edges are inclusive", () => {
    const s = new Scenario();
    const result = run(
      fixed,
      [
        s.deal("before", "5000", "2026-01-31", { product: "gadget" }),
        s.deal("first-day", "5000", "2026-02-01", { product: "gadget" }),
        s.deal("last-day", "5000", "2026-02-28", { product: "gadget" }),
        s.deal("after", "5000", "2026-03-01", { product: "gadget" }),
      ],
      s,
    );
    expect(lines(result)).toEqual(["spiff:first-day=500", "spiff:last-day=500"]);
  });

  it("filters on product, deal type and minimum amount (inclusive)", () => {
    const s = new Scenario();
    const result = run(
      fixed,
      [
        s.deal("widget", "5000", "2026-02-10", { product: "widget" }),
        s.deal("renewal", "5000", "2026-02-10", { product: "gadget", dealType: "renewal" }),
        s.deal("small", "999.99", "2026-02-10", { product: "gadget" }),
        s.deal("exact", "1000", "2026-02-10", { product: "gadget" }),
      ],
      s,
    );
    expect(lines(result)).toEqual(["spiff:exact=500"]);
  });

  it("a fixed SPIFF is multiplied by the rep's share; the minimum applies to the whole deal", () => {
    const s = new Scenario();
    const result = run(
      fixed,
      [
        s.deal("shared", "1500", "2026-02-10", {
          product: "gadget",
          splits: [
            ["ana", "0.5"],
            ["bob", "0.5"],
          ],
        }),
      ],
      s,
    );
    expect(lines(result)).toEqual(["spiff:shared=250"]);
    expect(result.entries[0]?.trace.arithmetic).toBe("500 × 50% share = 250");
  });

  it("a rate SPIFF pays the rate on the rep's credit", () => {
    const s = new Scenario();
    const rate: Component = {
      kind: "spiff",
      id: "multi",
      name: "Multi-year",
      filter: { dealTypes: ["multi-year"] },
      payout: { kind: "rate", rate: "0.02" },
    };
    const result = run(
      rate,
      [
        s.deal("M1", "30000", "2026-02-10", {
          dealType: "multi-year",
          splits: [
            ["ana", "0.6"],
            ["bob", "0.4"],
          ],
        }),
      ],
      s,
    );
    expect(lines(result)).toEqual(["spiff:M1=360"]);
    expect(result.entries[0]?.trace.arithmetic).toBe("18,000 × 2% = 360");
  });

  it("pays without a quota: a SPIFF does not depend on attainment", () => {
    const s = new Scenario();
    const result = run(fixed, [s.deal("G1", "5000", "2026-02-10", { product: "gadget" })], s);
    expect(result.exceptions).toEqual([]);
    expect(lines(result)).toEqual(["spiff:G1=500"]);
  });
});
