import { describe, expect, it } from "vitest";
import { type Assignment, PlanAssignments } from "./index.js";

function assignment(
  planId: string,
  effectiveFrom: string,
  effectiveTo: string | null,
  position: number,
): Assignment {
  return {
    repId: "ana",
    planId,
    version: 1,
    effectiveFrom,
    effectiveTo,
    position,
    eventId: `pa-${position}`,
  };
}

describe("PlanAssignments", () => {
  it("finds the plan in force on a date, honouring an inclusive effectiveTo", () => {
    const plans = new PlanAssignments();
    plans.assign(assignment("A", "2026-01-01", "2026-03-31", 1));
    plans.assign(assignment("B", "2026-04-01", null, 2));
    expect(plans.planOn("ana", "2025-12-31")).toBeUndefined();
    expect(plans.planOn("ana", "2026-03-31")?.planId).toBe("A");
    expect(plans.planOn("ana", "2026-04-01")?.planId).toBe("B");
    expect(plans.planOn("ana", "2030-01-01")?.planId).toBe("B");
    expect(plans.planOn("ana", "2026-04-01", 1)).toBeUndefined();
    expect(plans.planOn("bob", "2026-04-01")).toBeUndefined();
  });

  it("lets a later assignment override an earlier one only where they overlap", () => {
    const plans = new PlanAssignments();
    plans.assign(assignment("A", "2026-01-01", null, 1));
    plans.assign(assignment("B", "2026-02-15", "2026-02-20", 2));
    expect(plans.planOn("ana", "2026-02-14")?.planId).toBe("A");
    expect(plans.planOn("ana", "2026-02-15")?.planId).toBe("B");
    expect(plans.planOn("ana", "2026-02-20")?.planId).toBe("B");
    expect(plans.planOn("ana", "2026-02-21")?.planId).toBe("A");
    // A backdated correction recorded later covers everything it overlaps.
    plans.assign(assignment("C", "2025-12-01", "2026-02-17", 3));
    expect(plans.planOn("ana", "2026-02-17")?.planId).toBe("C");
    expect(plans.planOn("ana", "2026-02-18")?.planId).toBe("B");
    // As of position 2, C did not exist yet.
    expect(plans.planOn("ana", "2026-02-17", 2)?.planId).toBe("B");
  });

  it("lists the plan segments across a period, clipped to it", () => {
    const plans = new PlanAssignments();
    plans.assign(assignment("A", "2026-01-01", null, 1));
    plans.assign(assignment("B", "2026-02-15", null, 2));
    const segments = plans.segments("ana", "2026-01-01", "2026-03-31");
    expect(segments.map((s) => [s.assignment.planId, s.from, s.to])).toEqual([
      ["A", "2026-01-01", "2026-02-14"],
      ["B", "2026-02-15", "2026-03-31"],
    ]);
    expect(plans.segments("ana", "2025-10-01", "2025-12-31")).toEqual([]);
    expect(
      plans.segments("ana", "2026-01-01", "2026-03-31", 1).map((s) => [s.assignment.planId, s.to]),
    ).toEqual([["A", "2026-03-31"]]);
  });

  it("ignores a repeated fact and asserts log order and date order", () => {
    const plans = new PlanAssignments();
    plans.assign(assignment("A", "2026-01-01", null, 5));
    plans.assign(assignment("A", "2026-01-01", null, 5));
    expect(plans.history("ana")).toHaveLength(1);
    expect(() => plans.assign(assignment("B", "2026-01-01", null, 4))).toThrow(/log order/);
    expect(() => plans.assign(assignment("B", "2026-02-01", "2026-01-31", 6))).toThrow(
      /before effectiveFrom/,
    );
  });
});
