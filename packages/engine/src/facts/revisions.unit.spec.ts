import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { monthKey, Revisions } from "./revisions.js";

const month = fc
  .record({ year: fc.integer({ min: 0, max: 9999 }), month: fc.integer({ min: 1, max: 12 }) })
  .map(({ year, month }) => `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`);
const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe("monthKey", () => {
  it("law: orders months exactly as their text does, and tells different months apart", () => {
    fc.assert(
      fc.property(month, month, fc.constantFrom("", "-01", "-28", "T12:00:00Z"), (a, b, rest) => {
        const textOrder = a < b ? -1 : a > b ? 1 : 0;
        expect(sign(monthKey(`${a}${rest}`) - monthKey(b))).toBe(textOrder);
      }),
    );
  });

  it("counts months: the month after December is January of the next year", () => {
    expect(monthKey("2026-01-31") - monthKey("2025-12-01")).toBe(1);
    expect(monthKey("2026-12") - monthKey("2026-01")).toBe(11);
  });
});

describe("Revisions", () => {
  it("a rep's revision is the last touch within the months asked, of the rep, or of a currency it deals in", () => {
    const revisions = new Revisions();
    const [ana, mgr] = revisions.recordsOf(["ana", "mgr"]);
    expect(revisions.of("ana", "2026-01", "2026-03")).toBe(-1);
    revisions.touchDeal(
      [ana, mgr].filter((r) => r !== undefined),
      "EUR",
      [monthKey("2026-02")],
      5,
    );
    revisions.touchDeal(
      [ana].filter((r) => r !== undefined),
      "EUR",
      [monthKey("2026-06")],
      7,
    );
    expect(revisions.of("ana", "2026-01", "2026-03")).toBe(5);
    expect(revisions.of("mgr", "2026-01", "2026-03")).toBe(5);
    expect(revisions.of("ana", "2026-03", "2026-05")).toBe(-1);
    expect(revisions.of("ana", "2026-06", "2026-06")).toBe(7);
    // An FX rate of the rep's currency, effective before the end of the range, moves it.
    revisions.touchCurrency("EUR", "2026-03", 9);
    expect(revisions.of("mgr", "2026-01", "2026-03")).toBe(9);
    expect(revisions.of("mgr", "2026-01", "2026-02")).toBe(5);
    revisions.touchCurrency("GBP", "2026-01", 10);
    expect(revisions.of("ana", "2026-01", "2026-03")).toBe(9);
    expect(revisions.repUsesCurrency("mgr", "EUR")).toBe(true);
    expect(revisions.repUsesCurrency("mgr", "GBP")).toBe(false);
    // Another currency after the first is noted too (a rep's last currency is only a shortcut).
    revisions.touchDeal(
      [mgr].filter((r) => r !== undefined),
      "GBP",
      [monthKey("2026-01")],
      11,
    );
    revisions.touchDeal(
      [mgr].filter((r) => r !== undefined),
      "EUR",
      [monthKey("2026-01")],
      12,
    );
    expect(revisions.repUsesCurrency("mgr", "GBP")).toBe(true);
    expect(revisions.repUsesCurrency("mgr", "EUR")).toBe(true);
    // A touch at a lower position than one already kept never lowers it.
    revisions.touchRepMonth("ana", "2026-02", 3);
    expect(revisions.of("ana", "2026-02", "2026-02")).toBe(5);
  });
});
