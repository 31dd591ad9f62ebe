import { Decimal, roundDecimal } from "@icm/events";

/** Display only (traces): "40000" → "40,000", "-1234.5" → "-1,234.5". Never used in a calculation. */
export function num(value: Decimal): string {
  // Every trace line formats several numbers: group by hand rather than split + regex (no arrays).
  const text = value.toFixed();
  const negative = text.charCodeAt(0) === 45; // "-"
  const start = negative ? 1 : 0;
  const dot = text.indexOf(".", start);
  const wholeEnd = dot < 0 ? text.length : dot;
  const sign = negative && !value.isZero() ? "-" : "";
  if (wholeEnd - start <= 3) return negative ? sign + text.slice(1) : text;
  let out = sign;
  let next = start + ((wholeEnd - start) % 3 || 3);
  out += text.slice(start, next);
  for (; next < wholeEnd; next += 3) out += `,${text.slice(next, next + 3)}`;
  return dot < 0 ? out : out + text.slice(dot);
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
