import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, dateOf, dayNumber, nextWeekday, quarterSpan, weekday, weekdaysBetween } from "./dates.js";

describe("calendar arithmetic", () => {
  it("law: day numbers agree with the platform's UTC calendar and round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: -200_000, max: 200_000 }), (days) => {
        const reference = new Date(days * 86_400_000).toISOString().slice(0, 10);
        expect(dateOf(days)).toBe(reference);
        expect(dayNumber(reference)).toBe(days);
        expect(weekday(reference)).toBe((new Date(days * 86_400_000).getUTCDay() + 6) % 7);
      }),
      { numRuns: 200 },
    );
  });

  it("knows leap years, quarter bounds and weekdays", () => {
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(quarterSpan("2026-Q4", 2).map((q) => [q.id, q.first, q.last, q.months.join(",")])).toEqual([
      ["2026-Q4", "2026-10-01", "2026-12-31", "2026-10,2026-11,2026-12"],
      ["2027-Q1", "2027-01-01", "2027-03-31", "2027-01,2027-02,2027-03"],
    ]);
    expect(weekday("2026-01-01")).toBe(3); // a Thursday
    expect(nextWeekday("2026-01-03")).toBe("2026-01-05");
    expect(weekdaysBetween("2026-01-01", "2026-01-07")).toEqual([
      "2026-01-01",
      "2026-01-02",
      "2026-01-05",
      "2026-01-06",
      "2026-01-07",
    ]);
    expect(() => quarterSpan("2026-Q5", 1)).toThrow(/quarter id/);
  });
});
