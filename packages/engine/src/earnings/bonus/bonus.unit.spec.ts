import { describe, expect, it } from "vitest";
import type { Component } from "../../plan/types.js";
import { lines, planDefinition, Scenario, section8Table } from "../testing.js";

const bonus: Component = {
  kind: "bonus",
  id: "club",
  name: "Club bonus",
  attainmentLevel: "1",
  amount: "5000",
};

describe("attainment bonus", () => {
  it("is paid once, on the deal whose credit first reaches the level", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([section8Table("marginal"), bonus])),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "100000"),
      s.deal("D1", "60000", "2026-01-10"),
      s.deal("D2", "40000", "2026-01-11"),
      s.deal("D3", "50000", "2026-01-12"),
    );
    const result = s.when("ana", "2026-Q1");
    expect(lines(result, ["bonus"])).toEqual(["bonus:D2=5000"]);
    expect(result.entries.find((e) => e.kind === "bonus")?.trace.explanation).toContain("reaches 100%");
  });

  it("dropping below the level and crossing it again does not pay twice", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([bonus])),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "100000"),
      s.deal("D1", "100000", "2026-01-10"),
      s.adjustment("A1", "ana", "2026-01", "-20000", true),
      s.deal("D2", "30000", "2026-02-10"),
    );
    expect(lines(s.when("ana", "2026-Q1"), ["bonus"])).toEqual(["bonus:D1=5000"]);
  });

  it("is paid again in the next quota period", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("p", planDefinition([bonus])),
      s.assign("ana", "p"),
      s.quota("ana", "2026-Q1", "100000"),
      s.quota("ana", "2026-Q2", "100000"),
      s.deal("D1", "100000", "2026-01-10"),
      s.deal("D2", "99999.99", "2026-04-10"),
      s.deal("D3", "0.01", "2026-04-11"),
    );
    expect(lines(s.when("ana", "2026-Q1"), ["bonus"])).toEqual(["bonus:D1=5000"]);
    expect(lines(s.when("ana", "2026-Q2"), ["bonus"])).toEqual(["bonus:D3=5000"]);
  });
});
