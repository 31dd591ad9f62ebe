import { describe, expect, it } from "vitest";
import type { Component } from "../../plan/types.js";
import { lines, planDefinition, Scenario } from "../testing.js";

function run(
  bands: { from: string; to: string | null; multiplier: string }[],
  deals: [string, string][],
  quota = "100000",
) {
  const s = new Scenario();
  const table: Component = {
    kind: "rate_table",
    id: "c",
    name: "Commission",
    method: "marginal",
    targetIncentive: "10000",
    bands,
  };
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([table])),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", quota),
  );
  deals.forEach(([id, amount], i) => {
    s.given(s.deal(id, amount, `2026-01-${String(10 + i).padStart(2, "0")}`));
  });
  return s.when("ana", "2026-Q1");
}

describe("multiplier bands (base rate = target incentive / quota)", () => {
  it("accelerates above target: 100,000 × 10% + 20,000 × 15% = 13,000", () => {
    const result = run(
      [
        { from: "0", to: "1", multiplier: "1" },
        { from: "1", to: null, multiplier: "1.5" },
      ],
      [["D1", "120000"]],
    );
    expect(lines(result)).toEqual(["earning:D1=13000"]);
    expect(result.entries[0]?.trace.arithmetic).toBe("100,000 × 10% + 20,000 × 15% = 13,000");
    expect(result.entries[0]?.trace.band).toBe("0%–100% @ 1× base + ≥ 100% @ 1.5× base");
  });

  it("decelerates below a threshold: the first half of quota pays half the base rate", () => {
    const result = run(
      [
        { from: "0", to: "0.5", multiplier: "0.5" },
        { from: "0.5", to: null, multiplier: "1" },
      ],
      [
        ["D1", "40000"],
        ["D2", "20000"],
      ],
    );
    // 40,000 × 5% = 2,000; then 10,000 × 5% + 10,000 × 10% = 1,500.
    expect(lines(result)).toEqual(["earning:D1=2000", "earning:D2=1500"]);
  });

  it("the base rate follows the quota: a larger quota means a lower base rate", () => {
    const result = run([{ from: "0", to: null, multiplier: "1" }], [["D1", "100000"]], "200000");
    // base = 10,000 / 200,000 = 5%.
    expect(lines(result)).toEqual(["earning:D1=5000"]);
  });
});
