import { Decimal as DecimalJs } from "decimal.js";

/**
 * The one Decimal constructor of the system. Precision and rounding are set here, explicitly, so that no
 * result depends on decimal.js defaults or on another module mutating the global config: 60 significant
 * digits is far beyond any money or rate we handle, and exponent notation is pushed out of reach so that
 * `toString()` never produces `1e+21`-style output. Rounding to a ledger scale is always done with an
 * explicit mode at the call site (see `roundMoney`).
 */
export const Decimal = DecimalJs.clone({
  precision: 60,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -60,
  toExpPos: 60,
});
export type Decimal = InstanceType<typeof Decimal>;

export type RoundingMode = "HALF_EVEN" | "HALF_UP" | "HALF_DOWN" | "UP" | "DOWN" | "CEIL" | "FLOOR";

const ROUNDING: Record<RoundingMode, DecimalJs.Rounding> = {
  HALF_EVEN: DecimalJs.ROUND_HALF_EVEN,
  HALF_UP: DecimalJs.ROUND_HALF_UP,
  HALF_DOWN: DecimalJs.ROUND_HALF_DOWN,
  UP: DecimalJs.ROUND_UP,
  DOWN: DecimalJs.ROUND_DOWN,
  CEIL: DecimalJs.ROUND_CEIL,
  FLOOR: DecimalJs.ROUND_FLOOR,
};

export const ROUNDING_MODES = Object.keys(ROUNDING) as RoundingMode[];

/** Rounds to `scale` decimal places with an explicit mode; never relies on the constructor default. */
export function roundDecimal(value: Decimal, scale: number, mode: RoundingMode): Decimal {
  if (!Number.isInteger(scale) || scale < 0 || scale > 18)
    throw new RangeError(`scale must be 0..18, got ${scale}`);
  return value.toDecimalPlaces(scale, ROUNDING[mode]);
}

/** Plain decimal notation with exactly `scale` places (for money on the wire and in digests). */
export function formatDecimal(value: Decimal, scale?: number): string {
  const text = scale === undefined ? value.toFixed() : value.toFixed(scale);
  // decimal.js keeps the sign of negative zero ("-0.00"); a ledger never shows it.
  return text.startsWith("-") && new Decimal(text).isZero() ? text.slice(1) : text;
}

/** A decimal string as used on the wire: optional minus, no exponent, no leading zeros, optional fraction. */
export const DECIMAL_STRING_PATTERN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * A Decimal meant to be kept (facts held for the life of a replay): decimal.js grows the digit array it
 * parses into with room to spare (~150 bytes for a one-limb amount such as "14944.00"); a copy of it is
 * sliced to its digits (~30 bytes). At a million deals that is ~0.25 GiB of heap, and less for the GC to
 * walk. The value is the same Decimal: only where its digits are stored differs.
 */
export function keptDecimal(text: string): Decimal {
  return new Decimal(new Decimal(text));
}

export function parseDecimal(text: string): Decimal {
  if (!DECIMAL_STRING_PATTERN.test(text))
    throw new RangeError(`not a decimal string: ${JSON.stringify(text)}`);
  return new Decimal(text);
}
