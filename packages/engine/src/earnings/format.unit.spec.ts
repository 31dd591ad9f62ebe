import { Decimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { num } from "./format.js";

/** The previous implementation (split + regex), kept as the reference the hand-written grouping must match. */
function reference(value: Decimal): string {
  const text = value.toFixed();
  const negative = text.startsWith("-");
  const [whole = "", fraction] = (negative ? text.slice(1) : text).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = negative && !value.isZero() ? "-" : "";
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

describe("num", () => {
  it("groups thousands and keeps the fraction", () => {
    expect(num(new Decimal("40000"))).toBe("40,000");
    expect(num(new Decimal("-1234.5"))).toBe("-1,234.5");
    expect(num(new Decimal("123"))).toBe("123");
    expect(num(new Decimal("-0"))).toBe("0");
    expect(num(new Decimal("1234567.891"))).toBe("1,234,567.891");
  });

  it("formats any decimal exactly like the split-and-regex version", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.integer({ min: 0, max: 8 }),
        (units, places) => {
          const value = new Decimal(units.toString()).div(new Decimal(10).pow(places));
          expect(num(value)).toBe(reference(value));
        },
      ),
      { numRuns: 200 },
    );
  });
});
