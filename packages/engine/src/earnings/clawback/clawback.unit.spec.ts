import { describe, expect, it } from "vitest";
import { lines, planDefinition, Scenario, section8Table, total } from "../testing.js";

function scenario(method: "recompute" | "original_rate", table: "marginal" | "retroactive" = "marginal") {
  const s = new Scenario();
  s.given(
    s.rep("ana"),
    s.plan("p", planDefinition([section8Table(table)], { clawback: { windowDays: 90, method } })),
    s.assign("ana", "p"),
    s.quota("ana", "2026-Q1", "100000"),
    s.deal("D1", "60000", "2026-01-10"),
    s.deal("D2", "70000", "2026-01-20"),
    s.deal("D3", "50000", "2026-03-10"),
  );
  return s;
}

describe("clawback by recompute", () => {
  it("leaves the cancelled deal out: the quarter pays 100,000 × 10% + 10,000 × 15% = 11,500 (§8)", () => {
    const s = scenario("recompute");
    s.given(s.cancel("D2", "2026-03-01"));
    const result = s.when("ana", "2026-Q1");
    expect(lines(result)).toEqual(["earning:D1=6000", "earning:D3=5500"]);
    expect(total(result.entries)).toBe("11500");
    expect(result.attainment.credit.toFixed()).toBe("110000");
  });

  it("a cancellation exactly windowDays after close still claws back; one day later it does not", () => {
    const at = scenario("recompute");
    at.given(at.cancel("D2", "2026-04-20")); // 90 days after 2026-01-20
    expect(lines(at.when("ana", "2026-Q1"), ["earning"])).toEqual(["earning:D1=6000", "earning:D3=5500"]);
    const outside = scenario("recompute");
    outside.given(outside.cancel("D2", "2026-04-21")); // 91 days
    expect(total(outside.when("ana", "2026-Q1").entries)).toBe("23500");
  });
});

describe("clawback at the original rate", () => {
  it("keeps the deal in attainment and reverses exactly its own lines on the cancel date (−8,500 in §8)", () => {
    const s = scenario("original_rate");
    s.given(s.cancel("D2", "2026-04-02"));
    const result = s.when("ana", "2026-Q1");
    expect(lines(result)).toEqual([
      "earning:D1=6000",
      "earning:D2=8500",
      "earning:D3=9000",
      "clawback:D2=-8500",
    ]);
    const clawback = result.entries[3];
    expect(clawback?.period).toBe("2026-04");
    expect(clawback?.quotaPeriod).toBe("2026-Q1");
    expect(clawback?.businessDate).toBe("2026-04-02");
    expect(clawback?.trace.inputs.reversedEntry).toBe(result.entries[1]?.id);
    expect(clawback?.trace.sourceEventIds).toContain("cancel-D2");
  });

  it("reverses the true-up of a retroactive crossing too", () => {
    const s = scenario("original_rate", "retroactive");
    s.given(s.cancel("D2", "2026-02-01"));
    const result = s.when("ana", "2026-Q1");
    expect(lines(result, ["clawback"])).toEqual(["clawback:D2=-10500", "clawback:D2=-3000"]);
    expect(total(result.entries.filter((e) => e.dealId === "D2"))).toBe("0");
  });

  it("a cancellation dated before the deal's close reverses on the close date, never in an earlier period", () => {
    // Bad data (the CRM backdated the cancellation), but it must not put a negative line in a month the
    // deal had not happened yet: the reversal is dated on the deal's own date and says why.
    const s = scenario("original_rate");
    s.given(s.cancel("D3", "2026-02-20"));
    const result = s.when("ana", "2026-Q1");
    expect(lines(result, ["clawback"])).toEqual(["clawback:D3=-9000"]);
    const clawback = result.entries.find((e) => e.kind === "clawback");
    expect(clawback?.businessDate).toBe("2026-03-10");
    expect(clawback?.period).toBe("2026-03");
    expect(clawback?.trace.inputs.daysAfterClose).toBe("0");
    expect(clawback?.trace.explanation).toContain("cancelled on 2026-02-20");
    expect(clawback?.trace.explanation).toContain("the reversal is dated 2026-03-10");
    expect(total(result.entries.filter((e) => e.dealId === "D3"))).toBe("0");
  });

  it("outside the window (one day late) nothing is reversed; exactly at the window it is", () => {
    const late = scenario("original_rate");
    late.given(late.cancel("D2", "2026-04-21"));
    expect(lines(late.when("ana", "2026-Q1"), ["clawback"])).toEqual([]);
    const atEdge = scenario("original_rate");
    atEdge.given(atEdge.cancel("D2", "2026-04-20"));
    expect(lines(atEdge.when("ana", "2026-Q1"), ["clawback"])).toEqual(["clawback:D2=-8500"]);
  });

  it("a plan without a clawback policy keeps paying a cancelled deal", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "100000"),
      s.deal("D1", "60000", "2026-01-10"),
      s.cancel("D1", "2026-01-11"),
    );
    expect(lines(s.when("ana", "2026-Q1"))).toEqual(["earning:D1=6000"]);
  });
});
