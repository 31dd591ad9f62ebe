import { Decimal, formatDecimal, roundDecimal } from "@icm/events";
import type { Prng } from "../random/prng.js";
import { addDays, dayNumber, isWeekday, weekday } from "../time/dates.js";

/**
 * FX rates into USD (the plan currency) as a seeded random walk around realistic starting levels. Rates are
 * Decimals throughout; each step moves at most ±0.3% and is rounded half-even to the pair's quoted scale.
 */
export const FX_START: Readonly<Record<string, { readonly rate: string; readonly scale: number }>> = {
  EUR: { rate: "1.0850", scale: 4 },
  GBP: { rate: "1.2700", scale: 4 },
  JPY: { rate: "0.006700", scale: 6 },
  CAD: { rate: "0.7350", scale: 4 },
  AUD: { rate: "0.6600", scale: 4 },
  CHF: { rate: "1.1300", scale: 4 },
};
export const FX_QUOTE = "USD";
export const SUPPORTED_CURRENCIES = [FX_QUOTE, ...Object.keys(FX_START).sort()];

/**
 * `daily`: every weekday; `weekly`: every Monday; `mixed`: EUR and GBP daily, the others weekly (as a
 * treasury team typically does). Every series also has a rate effective on the first day of the scenario,
 * so no deal is ever without a rate.
 */
export type FxCadence = "daily" | "weekly" | "mixed";

export interface FxPublication {
  readonly base: string;
  readonly quote: string;
  readonly rate: string;
  readonly effectiveDate: string;
}

function publishes(currency: string, cadence: FxCadence, date: string): boolean {
  const daily = cadence === "daily" || (cadence === "mixed" && (currency === "EUR" || currency === "GBP"));
  return daily ? isWeekday(date) : weekday(date) === 0;
}

/** Publications for every non-USD currency from `first` to `last`, in date order then currency order. */
export function fxPublications(
  prng: Prng,
  currencies: readonly string[],
  first: string,
  last: string,
  cadence: FxCadence,
): FxPublication[] {
  const foreign = currencies.filter((c) => c !== FX_QUOTE).sort();
  const current = new Map<string, Decimal>();
  for (const currency of foreign) {
    const start = FX_START[currency];
    if (start === undefined) throw new RangeError(`no FX starting rate for ${currency}`);
    current.set(currency, new Decimal(start.rate));
  }
  const publications: FxPublication[] = [];
  for (let day = dayNumber(first); day <= dayNumber(last); day += 1) {
    const date = addDays(first, day - dayNumber(first));
    for (const currency of foreign) {
      if (date !== first && !publishes(currency, cadence, date)) continue;
      const { scale } = FX_START[currency] as { scale: number };
      let rate = current.get(currency) as Decimal;
      if (date !== first) {
        const stepBasisPoints = prng.between(-30, 30);
        rate = roundDecimal(
          rate.times(new Decimal(10_000 + stepBasisPoints).div(10_000)),
          scale,
          "HALF_EVEN",
        );
        current.set(currency, rate);
      }
      publications.push({
        base: currency,
        quote: FX_QUOTE,
        rate: formatDecimal(rate, scale),
        effectiveDate: date,
      });
    }
  }
  return publications;
}

/** The starting rate of a currency into USD ("1" for USD), for sizing deals in local currency. */
export function startingRate(currency: string): Decimal {
  if (currency === FX_QUOTE) return new Decimal(1);
  const start = FX_START[currency];
  if (start === undefined) throw new RangeError(`no FX starting rate for ${currency}`);
  return new Decimal(start.rate);
}
