import { Decimal } from "@icm/events";

const MAX_SCALE = 18;

/**
 * Splits `total` into parts proportional to `weights`, each at `scale` decimals, that sum EXACTLY to
 * `total` (DOMAIN.md §3). Largest-remainder (Hamilton) method: every part gets the floor of its exact
 * share in minor units, then the minor units left over go one by one to the parts with the largest
 * remainders, ties to the lower index (so the first split wins a tie, deterministically).
 * 100.00 three ways → 33.34 / 33.33 / 33.33. A negative total allocates as the mirror image of the
 * positive one, so a reversal cancels the original allocation line by line.
 */
export function allocateLargestRemainder(
  total: Decimal,
  weights: readonly Decimal[],
  scale: number,
): Decimal[] {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new RangeError(`scale must be an integer 0..${MAX_SCALE}, got ${scale}`);
  }
  if (weights.length === 0) throw new RangeError("allocation needs at least one weight");
  if (!total.isFinite() || total.decimalPlaces() > scale) {
    throw new RangeError(`total ${total.toFixed()} must already be rounded to ${scale} decimals`);
  }
  let weightSum = new Decimal(0);
  for (const [index, weight] of weights.entries()) {
    if (!weight.isFinite() || weight.isNegative()) {
      throw new RangeError(`weight ${index} must not be negative, got ${weight.toFixed()}`);
    }
    weightSum = weightSum.plus(weight);
  }
  if (!weightSum.isPositive() || weightSum.isZero()) throw new RangeError("weights must sum to more than 0");

  const unit = new Decimal(10).pow(-scale);
  const units = total.abs().div(unit); // an integer: total is at scale
  const floors: Decimal[] = [];
  const remainders: Decimal[] = [];
  let assigned = new Decimal(0);
  for (const weight of weights) {
    // Multiply before dividing: the product is exact, so only one rounding (at 60 digits) happens.
    const exact = units.times(weight).div(weightSum);
    const floor = exact.floor();
    floors.push(floor);
    remainders.push(exact.minus(floor));
    assigned = assigned.plus(floor);
  }
  const leftover = units.minus(assigned).toNumber(); // < weights.length, so safely a small integer
  const order = weights.map((_, index) => index);
  order.sort((a, b) => {
    const byRemainder = (remainders[b] as Decimal).comparedTo(remainders[a] as Decimal);
    return byRemainder !== 0 ? byRemainder : a - b;
  });
  for (let rank = 0; rank < leftover; rank += 1) {
    const index = order[rank] as number;
    floors[index] = (floors[index] as Decimal).plus(1);
  }
  const sign = total.isNegative() ? -1 : 1;
  return floors.map((minorUnits) =>
    minorUnits.isZero() ? new Decimal(0) : minorUnits.times(unit).times(sign),
  );
}
