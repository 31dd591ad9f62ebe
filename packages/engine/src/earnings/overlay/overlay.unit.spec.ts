import { describe, expect, it } from "vitest";
import type { Component } from "../../plan/types.js";
import { lines, planDefinition, Scenario, section8Table } from "../testing.js";

function overlay(maxDepth?: number): Component {
  return {
    kind: "overlay",
    id: "overlay",
    name: "Team overlay",
    rate: "0.02",
    ...(maxDepth === undefined ? {} : { maxDepth }),
  };
}

function org() {
  const s = new Scenario();
  s.given(
    s.rep("ana", { managerId: "max" }),
    s.rep("max", { managerId: "vp" }),
    s.rep("mia", { managerId: "vp" }),
    s.rep("vp"),
    s.plan("rep", planDefinition([section8Table("marginal")])),
    s.plan("mgr", planDefinition([section8Table("marginal"), overlay()])),
    s.plan("vp1", planDefinition([overlay(1)])),
    s.plan("vp2", planDefinition([overlay(2)])),
    s.assign("ana", "rep"),
    s.assign("max", "mgr"),
    s.assign("mia", "mgr"),
    s.quota("ana", "2026-Q1", "100000"),
    s.quota("max", "2026-Q1", "100000"),
    // ana moves from max to mia on 2026-02-15.
    s.manager("ana", "mia", "2026-02-15"),
    s.deal("D1", "10000", "2026-02-14"),
    s.deal("D2", "20000", "2026-02-15"),
    s.deal("D3", "30000", "2026-02-20", {
      splits: [
        ["ana", "0.5"],
        ["max", "0.5"],
      ],
    }),
  );
  return s;
}

describe("overlay", () => {
  it("pays the manager in the chain effective on each deal's date", () => {
    const s = org();
    const max = s.when("max", "2026-Q1");
    expect(lines(max, ["overlay"])).toEqual(["overlay:D1=200"]);
    expect(max.entries.find((e) => e.kind === "overlay")?.trace.explanation).toContain(
      "direct report on 2026-02-14",
    );
    const line = max.entries.find((e) => e.kind === "overlay");
    // The hierarchy fact in force on the deal date (ana's onboarding under max) is a source.
    expect(line?.trace.sourceEventIds).toContain("onboard-ana");
    expect(line?.trace.sourceEventIds).not.toContain("mgr-1");
    const mia = s.when("mia", "2026-Q1");
    expect(lines(mia, ["overlay"])).toEqual(["overlay:D2=400", "overlay:D3=300"]);
  });

  it("overlay credit does not count toward the manager's own attainment", () => {
    const max = org().when("max", "2026-Q1");
    // Only max's own half of D3 counts.
    expect(max.attainment.credit.toFixed()).toBe("15000");
    expect(lines(max, ["earning"])).toEqual(["earning:D3=1500"]);
  });

  it("maxDepth limits how many levels down the chain count", () => {
    const s = org();
    s.given(s.assign("vp", "vp1"));
    expect(lines(s.when("vp", "2026-Q1"), ["overlay"])).toEqual(["overlay:D3=300"]);
    const s2 = org();
    s2.given(s2.assign("vp", "vp2"));
    const vp = s2.when("vp", "2026-Q1");
    // D3 pays twice: on ana's half (two levels down, via mia) and on max's half (direct report).
    expect(lines(vp, ["overlay"])).toEqual([
      "overlay:D1=200",
      "overlay:D2=400",
      "overlay:D3=300",
      "overlay:D3=300",
    ]);
    expect(vp.entries.map((e) => e.trace.inputs.reportId)).toEqual(["ana", "ana", "ana", "max"]);
    // D2: ana → mia (the change of 2026-02-15) → vp (mia's onboarding).
    expect(vp.entries[1]?.trace.sourceEventIds).toEqual(expect.arrayContaining(["mgr-1", "onboard-mia"]));
  });

  it("an original-rate clawback on the report's deal reverses the manager's overlay line too", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana", { managerId: "max" }),
      s.rep("max"),
      s.plan("mgr", planDefinition([overlay()], { clawback: { windowDays: 30, method: "original_rate" } })),
      s.assign("max", "mgr"),
      s.deal("D1", "10000", "2026-02-10"),
      s.cancel("D1", "2026-03-01"),
    );
    const max = s.when("max", "2026-Q1");
    expect(lines(max)).toEqual(["overlay:D1=200", "clawback:D1=-200"]);
    expect(max.entries[1]?.period).toBe("2026-03");
  });

  it("a recompute clawback removes the overlay line", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana", { managerId: "max" }),
      s.rep("max"),
      s.plan("mgr", planDefinition([overlay()], { clawback: { windowDays: 30, method: "recompute" } })),
      s.assign("max", "mgr"),
      s.deal("D1", "10000", "2026-02-10"),
      s.deal("D2", "5000", "2026-02-11"),
      s.cancel("D1", "2026-03-01"),
    );
    expect(lines(s.when("max", "2026-Q1"))).toEqual(["overlay:D2=100"]);
  });
});
