import { describe, expect, it } from "vitest";
import { lines, planDefinition, Scenario, section8Table } from "../testing.js";

function run(method: "marginal" | "retroactive", deals: [string, string][]) {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([section8Table(method, { attainmentCap: "1.2" })])),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
  );
  deals.forEach(([id, amount], i) => {
    s.given(s.deal(id, amount, `2026-01-${String(10 + i).padStart(2, "0")}`));
  });
  return s.when("ana", "2026-Q1");
}

describe("attainment cap at 120%", () => {
  it("credit beyond 120% of quota earns nothing in the component, but still counts as credit", () => {
    const result = run("marginal", [
      ["D1", "150000"],
      ["D2", "10000"],
    ]);
    expect(lines(result)).toEqual(["earning:D1=13000", "earning:D2=0"]);
    expect(result.entries[0]?.trace.inputs.countedCredit).toBe("120000");
    expect(result.attainment.credit.toFixed()).toBe("160000");
  });

  it("retroactive rates stop at the band of the capped attainment", () => {
    const result = run("retroactive", [["D1", "200000"]]);
    // counted 120,000 at the 100–150% rate 15%.
    expect(lines(result)).toEqual(["earning:D1=18000"]);
  });
});
