import { Decimal, roundDecimal } from "@icm/events";

/** Display only (traces): "40000" → "40,000", "-1234.5" → "-1,234.5". Never used in a calculation. */
export function num(value: Decimal): string {
  const text = value.toFixed();
  const negative = text.startsWith("-");
  const [whole = "", fraction] = (negative ? text.slice(1) : text).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = negative && !value.isZero() ? "-" : "";
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

/** Display only: a fraction as a percentage with at most 2 decimals ("1.04" → "104%"). */
export function pct(fraction: Decimal): string {
  return `${num(roundDecimal(fraction.times(100), 2, "HALF_EVEN"))}%`;
}

/** A rate as a percentage with full precision ("0.125" → "12.5%"): rates are shown exactly. */
export function ratePct(rate: Decimal): string {
  return `${num(rate.times(100))}%`;
}

export const ZERO = new Decimal(0);
