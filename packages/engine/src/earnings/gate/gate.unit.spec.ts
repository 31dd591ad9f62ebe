import { describe, expect, it } from "vitest";
import { lines, planDefinition, Scenario, section8Table, total } from "../testing.js";

function run(
  payFrom: "first_dollar" | "above_threshold",
  deals: [string, string][],
  method: "marginal" | "retroactive" = "marginal",
) {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([section8Table(method, { gate: { threshold: "0.5", payFrom } })])),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
  );
  deals.forEach(([id, amount], i) => {
    s.given(s.deal(id, amount, `2026-01-${String(10 + i).padStart(2, "0")}`));
  });
  return s.when("ana", "2026-Q1");
}

describe("gate at 50% attainment", () => {
  it("first dollar: nothing below the gate, then a true-up paying all earlier credit on the deal that opens it", () => {
    const result = run("first_dollar", [
      ["D1", "30000"],
      ["D2", "30000"],
    ]);
    expect(lines(result)).toEqual(["earning:D1=0", "earning:D2=3000", "true_up:D2=3000"]);
    expect(result.entries[0]?.trace.explanation).toContain("gate 50% not reached, pay deferred");
    expect(result.entries[2]?.trace.arithmetic).toBe(
      "gate reached: pays the 3,000 deferred on earlier credit = 3,000",
    );
  });

  it("first dollar: a deal landing exactly on the threshold opens the gate", () => {
    expect(lines(run("first_dollar", [["D1", "50000"]]))).toEqual(["earning:D1=5000"]);
    expect(lines(run("first_dollar", [["D1", "49999.99"]]))).toEqual(["earning:D1=0"]);
  });

  it("above threshold: only credit above 50% is paid", () => {
    const result = run("above_threshold", [
      ["D1", "30000"],
      ["D2", "30000"],
      ["D3", "50000"],
    ]);
    // D2: 10,000 above the gate × 10%; D3: 40,000 × 10% + 10,000 × 15%.
    expect(lines(result)).toEqual(["earning:D1=0", "earning:D2=1000", "earning:D3=5500"]);
  });

  it("above threshold: exactly on the threshold pays nothing yet", () => {
    expect(lines(run("above_threshold", [["D1", "50000"]]))).toEqual(["earning:D1=0"]);
  });

  it("retroactive with a first-dollar gate pays all credit at the band reached once open", () => {
    const result = run(
      "first_dollar",
      [
        ["D1", "40000"],
        ["D2", "70000"],
      ],
      "retroactive",
    );
    // 110,000 at 15% = 16,500: D2 earns 70,000 × 15% = 10,500 and the true-up pays 40,000 × 15% = 6,000.
    expect(lines(result)).toEqual(["earning:D1=0", "earning:D2=10500", "true_up:D2=6000"]);
    expect(total(result.entries)).toBe("16500");
  });
});
