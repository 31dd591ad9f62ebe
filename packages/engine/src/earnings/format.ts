import { Decimal, type RoundingMode, roundDecimal } from "@icm/events";

/** Display only (traces): "40000" → "40,000", "-1234.5" → "-1,234.5". Never used in a calculation. */
export function num(value: Decimal): string {
  return grouped(value.toFixed(), value.isZero());
}

/**
 * `num` of the Decimal whose `toFixed()` is `text` (a plain decimal string: optional "-", digits, optional
 * fraction), for a value whose text is already at hand.
 */
export function numOfFixed(text: string): string {
  return grouped(text, isZeroText(text));
}

function isZeroText(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c !== 48 && c !== 45 && c !== 46) return false; // only "0", "-" and "." in a zero
  }
  return true;
}

function grouped(text: string, zero: boolean): string {
  // Every trace line formats several numbers: group by hand rather than split + regex (no arrays).
  const negative = text.charCodeAt(0) === 45; // "-"
  const start = negative ? 1 : 0;
  const dot = text.indexOf(".", start);
  const wholeEnd = dot < 0 ? text.length : dot;
  const sign = negative && !zero ? "-" : "";
  if (wholeEnd - start <= 3) return negative ? sign + text.slice(1) : text;
  let out = sign;
  let next = start + ((wholeEnd - start) % 3 || 3);
  out += text.slice(start, next);
  for (; next < wholeEnd; next += 3) out += `,${text.slice(next, next + 3)}`;
  return dot < 0 ? out : out + text.slice(dot);
}

/**
 * `roundDecimal`, returning the value itself when it already has no more places than the scale (the
 * rounded result would be an equal, immutable copy). Lines are rounded where they are computed and again
 * by the builder; this makes the second rounding free.
 */
export function roundAt(value: Decimal, scale: number, mode: RoundingMode): Decimal {
  if (Number.isInteger(scale) && scale >= 0 && scale <= 18 && value.decimalPlaces() <= scale) return value;
  return roundDecimal(value, scale, mode);
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
