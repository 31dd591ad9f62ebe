import { Decimal, roundDecimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import { convertAmount, FxRates } from "./index.js";

const d = (value: string | number) => new Decimal(value);

describe("FxRates", () => {
  it("converts EUR 10,000 at 1.0850 effective the day before the close to USD 10,850.00 (DOMAIN.md §8)", () => {
    const fx = new FxRates();
    fx.publish("EUR", "USD", d("1.0850"), "2026-03-14", "fx-1", 1);
    const converted = convertAmount(d("10000"), "EUR", "USD", "2026-03-15", fx);
    expect(converted).toBeDefined();
    expect(roundDecimal(converted?.amount ?? d(0), 2, "HALF_EVEN").toFixed(2)).toBe("10850.00");
    expect(converted?.quote).toMatchObject({
      effectiveDate: "2026-03-14",
      eventId: "fx-1",
      position: 1,
      inverted: false,
    });
  });

  it("uses the latest rate effective on or before the date, and a change ON the close date applies", () => {
    const fx = new FxRates();
    fx.publish("EUR", "USD", d("1.08"), "2026-03-01", "fx-1", 1);
    fx.publish("EUR", "USD", d("1.10"), "2026-03-31", "fx-2", 2);
    fx.publish("EUR", "USD", d("1.09"), "2026-03-15", "fx-3", 3); // backdated, recorded last
    expect(fx.rateOn("EUR", "USD", "2026-02-28")).toBeUndefined();
    expect(fx.rateOn("EUR", "USD", "2026-03-01")?.eventId).toBe("fx-1");
    expect(fx.rateOn("EUR", "USD", "2026-03-14")?.eventId).toBe("fx-1");
    expect(fx.rateOn("EUR", "USD", "2026-03-15")?.eventId).toBe("fx-3");
    expect(fx.rateOn("EUR", "USD", "2026-03-30")?.eventId).toBe("fx-3");
    expect(fx.rateOn("EUR", "USD", "2026-03-31")?.rate.toFixed()).toBe("1.1");
    // As of position 2 the backdated rate was not yet known.
    expect(fx.rateOn("EUR", "USD", "2026-03-20", 2)?.eventId).toBe("fx-1");
  });

  it("lets a later publication for the same effective date correct the earlier one", () => {
    const fx = new FxRates();
    fx.publish("GBP", "USD", d("1.25"), "2026-03-01", "fx-1", 10);
    fx.publish("GBP", "USD", d("1.27"), "2026-03-01", "fx-2", 11);
    expect(fx.rateOn("GBP", "USD", "2026-03-05")?.rate.toFixed()).toBe("1.27");
    expect(fx.rateOn("GBP", "USD", "2026-03-05", 10)?.rate.toFixed()).toBe("1.25");
    expect(fx.rateOn("GBP", "USD", "2026-03-05", 9)).toBeUndefined();
  });

  it("inverts the opposite pair when only it was published", () => {
    const fx = new FxRates();
    fx.publish("USD", "JPY", d("150"), "2026-01-01", "fx-1", 1);
    const quote = fx.rateOn("JPY", "USD", "2026-02-01");
    expect(quote?.inverted).toBe(true);
    expect(quote?.rate.times(150).toDecimalPlaces(30).toFixed()).toBe("1");
    const converted = convertAmount(d("1500000"), "JPY", "USD", "2026-02-01", fx);
    expect(roundDecimal(converted?.amount ?? d(0), 2, "HALF_EVEN").toFixed(2)).toBe("10000.00");
  });

  it("prefers the later effective date when both directions are published, the asked pair on a tie", () => {
    const fx = new FxRates();
    fx.publish("EUR", "USD", d("1.10"), "2026-03-01", "direct", 1);
    fx.publish("USD", "EUR", d("0.80"), "2026-03-10", "reverse", 2);
    expect(fx.rateOn("EUR", "USD", "2026-03-05")?.eventId).toBe("direct");
    expect(fx.rateOn("EUR", "USD", "2026-03-10")).toMatchObject({ eventId: "reverse", inverted: true });
    expect(fx.rateOn("EUR", "USD", "2026-03-10")?.rate.toFixed()).toBe("1.25");
    fx.publish("EUR", "USD", d("1.20"), "2026-03-10", "direct-2", 3);
    expect(fx.rateOn("EUR", "USD", "2026-03-10")).toMatchObject({ eventId: "direct-2", inverted: false });
  });

  it("returns undefined without a rate and is the identity for the same currency", () => {
    const fx = new FxRates();
    expect(convertAmount(d("5"), "EUR", "USD", "2026-03-15", fx)).toBeUndefined();
    const same = convertAmount(d("5.005"), "USD", "USD", "2026-03-15", fx);
    expect(same?.amount.toFixed()).toBe("5.005");
    expect(same?.quote).toBeUndefined();
  });

  it("asserts log order and valid input", () => {
    const fx = new FxRates();
    fx.publish("EUR", "USD", d("1.1"), "2026-03-01", "fx-1", 5);
    fx.publish("EUR", "USD", d("1.1"), "2026-03-01", "fx-1", 5); // the same fact again: ignored
    expect(() => fx.publish("EUR", "USD", d("1.2"), "2026-03-02", "fx-0", 4)).toThrow(/log order/);
    expect(() => fx.publish("EUR", "USD", d("0"), "2026-03-02", "fx-9", 9)).toThrow(/greater than 0/);
    expect(() => fx.publish("EUR", "EUR", d("1"), "2026-03-02", "fx-9", 9)).toThrow(/differ/);
    expect(() => fx.publish("EUR", "XXX", d("1"), "2026-03-02", "fx-9", 9)).toThrow(/unknown currency/);
    expect(() => fx.publish("EUR", "USD", d("1"), "2026-3-2", "fx-9", 9)).toThrow(/YYYY-MM-DD/);
  });

  it("answers the same whatever order different pairs were published in", () => {
    const a = new FxRates();
    const b = new FxRates();
    a.publish("EUR", "USD", d("1.1"), "2026-03-01", "e1", 1);
    a.publish("GBP", "USD", d("1.3"), "2026-03-02", "g1", 2);
    b.publish("GBP", "USD", d("1.3"), "2026-03-02", "g1", 2);
    b.publish("EUR", "USD", d("1.1"), "2026-03-01", "e1", 1);
    for (const pair of [
      ["EUR", "USD"],
      ["GBP", "USD"],
      ["USD", "EUR"],
    ] as const) {
      expect(a.rateOn(pair[0], pair[1], "2026-03-05")).toEqual(b.rateOn(pair[0], pair[1], "2026-03-05"));
    }
  });
});
