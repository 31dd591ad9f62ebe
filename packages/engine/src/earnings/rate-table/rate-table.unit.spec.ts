import { describe, expect, it } from "vitest";
import { lines, planDefinition, Scenario, section8Table, total } from "../testing.js";

function quarter(method: "marginal" | "retroactive", deals: [string, string, string][]) {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([section8Table(method)])),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
  );
  for (const [id, amount, date] of deals) s.given(s.deal(id, amount, date));
  return s.when("ana", "2026-Q1");
}

describe("marginal rate table (DOMAIN.md §8)", () => {
  it("pays 6,000 / 8,500 / 9,000 = 23,500 for deals of 60,000, 70,000, 50,000", () => {
    const result = quarter("marginal", [
      ["D1", "60000", "2026-01-10"],
      ["D2", "70000", "2026-02-10"],
      ["D3", "50000", "2026-03-10"],
    ]);
    expect(lines(result)).toEqual(["earning:D1=6000", "earning:D2=8500", "earning:D3=9000"]);
    expect(total(result.entries)).toBe("23500");
    const d2 = result.entries[1];
    expect(d2?.trace.arithmetic).toBe("40,000 × 10% + 30,000 × 15% = 8,500");
    expect(d2?.trace.band).toBe("0%–100% @ 10% + 100%–150% @ 15%");
    expect(d2?.trace.explanation).toBe("Deal D2: 70,000 credit; attainment 60% → 130%");
    expect(d2?.period).toBe("2026-02");
    expect(d2?.quotaPeriod).toBe("2026-Q1");
    expect(result.attainment.ratio?.toFixed()).toBe("1.8");
  });

  it("a deal landing exactly on a band edge is paid wholly in the lower band; the next deal starts in the upper band", () => {
    const result = quarter("marginal", [
      ["D1", "100000", "2026-01-10"],
      ["D2", "10000", "2026-01-11"],
    ]);
    expect(lines(result)).toEqual(["earning:D1=10000", "earning:D2=1500"]);
    expect(result.entries[0]?.trace.arithmetic).toBe("100,000 × 10% = 10,000");
    expect(result.entries[1]?.trace.band).toBe("100%–150% @ 15%");
  });

  it("orders deals by business date then deal id, not by arrival", () => {
    const result = quarter("marginal", [
      ["D9", "70000", "2026-01-10"],
      ["D1", "60000", "2026-01-10"],
    ]);
    expect(lines(result)).toEqual(["earning:D1=6000", "earning:D9=8500"]);
  });

  it("traces every source event with its position and the unrounded inputs", () => {
    const result = quarter("marginal", [["D1", "60000", "2026-01-10"]]);
    const trace = result.entries[0]?.trace;
    expect(trace?.sourceEventIds).toEqual(["plan-p-v1", "assign-1", "quota-1", "close-D1"]);
    expect(trace?.positions).toEqual([2, 3, 4, 5]);
    expect(trace?.planId).toBe("p");
    expect(trace?.planVersion).toBe(1);
    expect(trace?.component).toBe("commission");
    expect(trace?.inputs.earningUnrounded).toBe("6000");
  });
});

describe("retroactive rate table", () => {
  it("pays the §8 credit of 180,000 at 20% = 36,000, with visible true-ups on the crossing deals", () => {
    const result = quarter("retroactive", [
      ["D1", "60000", "2026-01-10"],
      ["D2", "70000", "2026-02-10"],
      ["D3", "50000", "2026-03-10"],
    ]);
    expect(lines(result)).toEqual([
      "earning:D1=6000",
      "earning:D2=10500",
      "true_up:D2=3000",
      "earning:D3=10000",
      "true_up:D3=6500",
    ]);
    expect(total(result.entries)).toBe("36000");
    expect(result.entries[2]?.trace.arithmetic).toBe("(15% − 10%) × 60,000 = 3,000");
  });

  it("exactly on the 100% edge the whole period moves to the upper band", () => {
    const result = quarter("retroactive", [
      ["D1", "60000", "2026-01-10"],
      ["D2", "40000", "2026-01-11"],
    ]);
    expect(lines(result)).toEqual(["earning:D1=6000", "earning:D2=6000", "true_up:D2=3000"]);
    expect(total(result.entries)).toBe("15000");
  });
});

describe("rounding", () => {
  it("rounds each line once with the plan's mode and scale, keeping the unrounded value in the trace", () => {
    const s = new Scenario();
    const table = {
      kind: "rate_table",
      id: "c",
      name: "C",
      method: "marginal",
      bands: [{ from: "0", to: null, rate: "0.125" }],
    } as const;
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([table], { rounding: { mode: "HALF_UP", scale: 2 } })),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "1000"),
      s.deal("D1", "0.2", "2026-01-10"),
    );
    const result = s.when("ana", "2026-Q1");
    expect(lines(result)).toEqual(["earning:D1=0.03"]);
    expect(result.entries[0]?.trace.inputs.earningUnrounded).toBe("0.025");
  });
});
