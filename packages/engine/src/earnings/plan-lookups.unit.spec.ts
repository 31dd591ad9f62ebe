import { describe, expect, it } from "vitest";
import { drawComponentFor } from "./plan-lookups.js";
import { planDefinition, Scenario, section8Table } from "./testing.js";

describe("drawComponentFor", () => {
  it("finds the draw of the plan in force on a date, with its amount parsed", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan(
        "p",
        planDefinition([
          section8Table("marginal"),
          { kind: "draw", id: "draw", name: "Draw", amount: "5000", recoverable: true },
        ]),
      ),
      s.plan("q", planDefinition([section8Table("marginal")])),
      s.assign("ana", "p", "2026-01-01", "2026-03-31"),
      s.assign("ana", "q", "2026-04-01"),
    );
    const found = drawComponentFor(s.facts, "ana", "2026-03-31");
    expect(found?.draw.amount.toFixed()).toBe("5000");
    expect(found?.plan.planId).toBe("p");
    expect(drawComponentFor(s.facts, "ana", "2026-04-30")).toBeUndefined();
    expect(drawComponentFor(s.facts, "bob", "2026-03-31")).toBeUndefined();
  });
});
