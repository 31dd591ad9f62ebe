import { Decimal as DecimalJs } from "decimal.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CURRENCY_MINOR_UNITS, isKnownCurrency, minorUnits } from "./currency.js";
import {
  DECIMAL_STRING_PATTERN,
  Decimal,
  formatDecimal,
  keptDecimal,
  parseDecimal,
  type RoundingMode,
  roundDecimal,
} from "./decimal.js";

describe("roundDecimal", () => {
  // value, scale, expected per mode: HALF_EVEN HALF_UP HALF_DOWN UP DOWN CEIL FLOOR
  const table: [string, number, [string, string, string, string, string, string, string]][] = [
    ["2.345", 2, ["2.34", "2.35", "2.34", "2.35", "2.34", "2.35", "2.34"]],
    ["2.355", 2, ["2.36", "2.36", "2.35", "2.36", "2.35", "2.36", "2.35"]],
    ["-2.345", 2, ["-2.34", "-2.35", "-2.34", "-2.35", "-2.34", "-2.34", "-2.35"]],
    ["0.5", 0, ["0", "1", "0", "1", "0", "1", "0"]],
    ["1.5", 0, ["2", "2", "1", "2", "1", "2", "1"]],
    ["1234.5671", 3, ["1234.567", "1234.567", "1234.567", "1234.568", "1234.567", "1234.568", "1234.567"]],
  ];
  const modes: RoundingMode[] = ["HALF_EVEN", "HALF_UP", "HALF_DOWN", "UP", "DOWN", "CEIL", "FLOOR"];
  for (const [value, scale, expected] of table) {
    modes.forEach((mode, i) => {
      it(`${value} to ${scale} places ${mode} is ${expected[i]}`, () => {
        expect(formatDecimal(roundDecimal(parseDecimal(value), scale, mode))).toBe(expected[i]);
      });
    });
  }

  it("refuses a scale outside 0..18", () => {
    expect(() => roundDecimal(new Decimal("1"), -1, "HALF_EVEN")).toThrow(RangeError);
    expect(() => roundDecimal(new Decimal("1"), 19, "HALF_EVEN")).toThrow(RangeError);
    expect(() => roundDecimal(new Decimal("1"), 1.5, "HALF_EVEN")).toThrow(RangeError);
  });

  it("does not depend on the global decimal.js configuration", () => {
    const saved = { precision: DecimalJs.precision, rounding: DecimalJs.rounding };
    DecimalJs.set({ precision: 5, rounding: DecimalJs.ROUND_DOWN });
    try {
      expect(new Decimal("1").div(3).toFixed(20)).toBe("0.33333333333333333333");
      expect(new Decimal("123456789.123").times(1).toFixed()).toBe("123456789.123");
    } finally {
      DecimalJs.set(saved);
    }
  });

  it("law: rounding is idempotent and stays within one unit of the last place (200 runs)", () => {
    const valueArb = fc
      .tuple(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.integer({ min: 0, max: 12 }))
      .map(([units, places]) => new Decimal(units.toString()).div(new Decimal(10).pow(places)));
    fc.assert(
      fc.property(
        valueArb,
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(...modes),
        (value, scale, mode) => {
          const once = roundDecimal(value, scale, mode);
          expect(roundDecimal(once, scale, mode).eq(once)).toBe(true);
          expect(once.minus(value).abs().lte(new Decimal(10).pow(-scale))).toBe(true);
          expect(once.decimalPlaces()).toBeLessThanOrEqual(scale);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("decimal strings", () => {
  it("formatDecimal never shows negative zero and pads to the scale", () => {
    expect(formatDecimal(new Decimal("-0.001"), 2)).toBe("0.00");
    expect(formatDecimal(new Decimal("-0"))).toBe("0");
    expect(formatDecimal(new Decimal("12.5"), 2)).toBe("12.50");
    expect(formatDecimal(new Decimal("1e-7"))).toBe("0.0000001");
    expect(formatDecimal(new Decimal("1e+25"))).toBe("10000000000000000000000000");
  });

  it.each(["1e3", "01.5", ".5", "1.", "+1", "1,000.00", " 1", "NaN", "Infinity", "-"])(
    "parseDecimal rejects %j",
    (text) => {
      expect(DECIMAL_STRING_PATTERN.test(text)).toBe(false);
      expect(() => parseDecimal(text)).toThrow(RangeError);
    },
  );

  it("law: parse → format round-trips every wire decimal without drift (200 runs)", () => {
    const wireArb = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.stringMatching(/^[0-9]{1,20}$/))
      .map(([negative, whole, fraction]) => `${negative ? "-" : ""}${whole}.${fraction}`)
      .filter((t) => !/^-0\.0+$/.test(t));
    fc.assert(
      fc.property(wireArb, (text) => {
        expect(formatDecimal(parseDecimal(text), text.split(".")[1]?.length ?? 0)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});

describe("keptDecimal", () => {
  it("is the same value as the parsed string, digit for digit (500 runs)", () => {
    const decimalText = fc
      .tuple(
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.option(fc.stringMatching(/^[0-9]{1,12}$/)),
      )
      .map(
        ([negative, whole, fraction]) =>
          `${negative ? "-" : ""}${whole}${fraction === null ? "" : `.${fraction}`}`,
      );
    fc.assert(
      fc.property(decimalText, (text) => {
        const kept = keptDecimal(text);
        const parsed = new Decimal(text);
        expect(kept.eq(parsed)).toBe(true);
        expect(kept.toFixed()).toBe(parsed.toFixed());
        expect([kept.s, kept.e, kept.d]).toEqual([parsed.s, parsed.e, parsed.d]);
        expect(kept).toBeInstanceOf(Decimal);
      }),
      { numRuns: 500 },
    );
  });
});

describe("currencies", () => {
  it("knows the minor units of zero-, two- and three-decimal currencies", () => {
    expect([minorUnits("JPY"), minorUnits("USD"), minorUnits("KWD")]).toEqual([0, 2, 3]);
    expect(isKnownCurrency("EUR")).toBe(true);
    expect(isKnownCurrency("XXX")).toBe(false);
    expect(isKnownCurrency("toString")).toBe(false);
    expect(() => minorUnits("XXX")).toThrow(RangeError);
    expect(Object.isFrozen(CURRENCY_MINOR_UNITS)).toBe(true);
  });
});
