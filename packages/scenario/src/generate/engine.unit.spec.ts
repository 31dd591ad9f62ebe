import { Engine } from "@icm/engine";
import { describe, expect, it } from "vitest";
import { generateScenario } from "./scenario.js";

describe("a clean scenario through the engine", () => {
  it("raises no calculation exception: every rep, plan, quota and FX rate a deal needs is there", () => {
    const { events, summary } = generateScenario({
      seed: 11,
      reps: 24,
      deals: 400,
      quarters: 4,
      startQuarter: "2026-Q1",
      lateDealCount: 2,
    });
    const engine = new Engine();
    events.forEach((event, index) => {
      engine.apply({ event, globalPosition: index + 1 });
    });
    for (const period of summary.periods) {
      const exceptions = engine.periodExceptions(period).map((x) => `${x.code}: ${x.message}`);
      expect(exceptions, period).toEqual([]);
    }
    // And the history pays people: most reps have commission lines in the first quarter's last month.
    const paid = engine.statements("2026-03").filter((s) => s.entries.length > 0);
    expect(paid.length).toBeGreaterThan(summary.org.reps.length / 2);
  });
});
