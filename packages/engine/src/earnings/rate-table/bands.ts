import { Decimal } from "@icm/events";
import type { CompiledRateTable } from "../../facts/index.js";
import { num, ratePct } from "../format.js";

/** A band in credit units for one quota: [fromCredit, toCredit) at `rate`. */
export interface ResolvedBand {
  readonly index: number;
  readonly fromCredit: Decimal;
  readonly toCredit: Decimal | undefined;
  readonly rate: Decimal;
  readonly label: string;
}

export interface BandSlice {
  readonly band: ResolvedBand;
  /** Credit in the band (positive). */
  readonly length: Decimal;
  readonly amount: Decimal;
}

const ZERO = new Decimal(0);

/**
 * Bands for a quota: attainment fractions become credit amounts (from × quota) and multiplier bands get
 * their rate from the base rate targetIncentive / quota (accelerator > 1, decelerator < 1).
 */
export function resolveBands(component: CompiledRateTable, quota: Decimal): ResolvedBand[] {
  const base = component.targetIncentive === undefined ? undefined : component.targetIncentive.div(quota);
  return component.bands.map((band, index) => {
    const rate =
      band.rate ?? (band.multiplier !== undefined && base !== undefined ? band.multiplier.times(base) : ZERO);
    return {
      index,
      fromCredit: band.from.times(quota),
      toCredit: band.to === undefined ? undefined : band.to.times(quota),
      rate,
      label: band.label,
    };
  });
}

/** The base rate of multiplier bands, when there is one. */
export function baseRate(component: CompiledRateTable, quota: Decimal): Decimal | undefined {
  return component.targetIncentive === undefined ? undefined : component.targetIncentive.div(quota);
}

/**
 * The band a running credit is in: from ≤ credit < to. Credit below 0 (negative adjustments) is in the first
 * band, credit beyond the last bound in the last band. Exactly on an edge = the band that starts there.
 */
export function bandAt(bands: readonly ResolvedBand[], credit: Decimal): ResolvedBand {
  let found = bands[0] as ResolvedBand;
  for (const band of bands) {
    if (credit.greaterThanOrEqualTo(band.fromCredit)) found = band;
    else break;
  }
  return found;
}

/**
 * Marginal pay for the credit between lo and hi (lo ≤ hi): each slice at its own band's rate, split exactly
 * at band edges. Credit below 0 is paid (negatively) at the first band's rate.
 */
export function marginalSlices(bands: readonly ResolvedBand[], lo: Decimal, hi: Decimal): BandSlice[] {
  const slices: BandSlice[] = [];
  if (!hi.greaterThan(lo)) return slices;
  bands.forEach((band, index) => {
    const bandLo = index === 0 ? Decimal.min(band.fromCredit, lo) : band.fromCredit;
    const overlapLo = Decimal.max(lo, bandLo);
    const overlapHi = band.toCredit === undefined ? hi : Decimal.min(hi, band.toCredit);
    if (overlapHi.greaterThan(overlapLo)) {
      const length = overlapHi.minus(overlapLo);
      slices.push({ band, length, amount: length.times(band.rate) });
    }
  });
  return slices;
}

export function sumSlices(slices: readonly BandSlice[]): Decimal {
  let total = ZERO;
  for (const slice of slices) total = total.plus(slice.amount);
  return total;
}

/** "40,000 × 10% + 30,000 × 15%" */
export function slicesText(slices: readonly BandSlice[]): string {
  return slices.map((s) => `${num(s.length)} × ${ratePct(s.band.rate)}`).join(" + ");
}
