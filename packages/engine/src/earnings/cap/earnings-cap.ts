import { Decimal, roundDecimal } from "@icm/events";
import type { CompiledCap } from "../../facts/index.js";
import { num } from "../format.js";

const ZERO = new Decimal(0);

export interface CappedLines {
  readonly earning: Decimal;
  readonly trueUp: Decimal;
  /** True when the cap changed what this item pays. */
  readonly capped: boolean;
  readonly note: string;
}

/**
 * Limits one component's paid total in a quota period (perPeriod) and fiscal year (perYear, counting what
 * earlier quota periods of the year paid). Works on rounded line amounts, so the sum of the ledger lines
 * never exceeds the cap. The cap is rounded DOWN (toward zero) to the plan scale for the same reason.
 * The line that reaches the cap is reduced (its true-up first, then its earning); later lines stay in the
 * ledger at 0 with the note "capped", so a rep sees that the deal counted but paid nothing more. A negative
 * line after the cap was hit only reduces pay once the uncapped total falls back below the cap.
 */
export class EarningsCapLimiter {
  private uncapped = new Decimal(0);
  private paid = new Decimal(0);
  private readonly limit: Decimal | undefined;
  readonly description: string;

  /** Caps are rounded DOWN whatever the plan's mode: rounding a cap up could pay more than it allows. */
  constructor(cap: CompiledCap | undefined, yearPaidBefore: Decimal, scale: number) {
    const candidates: { value: Decimal; text: string }[] = [];
    if (cap?.perPeriod !== undefined) {
      candidates.push({
        value: roundDecimal(cap.perPeriod, scale, "DOWN"),
        text: `period cap ${num(cap.perPeriod)}`,
      });
    }
    if (cap?.perYear !== undefined) {
      // Never below zero: a cap limits what is paid, it does not claw back (a later plan version may lower it).
      const room = Decimal.max(ZERO, roundDecimal(cap.perYear, scale, "DOWN").minus(yearPaidBefore));
      candidates.push({
        value: room,
        text: `year cap ${num(cap.perYear)} − ${num(yearPaidBefore)} paid earlier this year`,
      });
    }
    let limit: Decimal | undefined;
    let description = "";
    for (const c of candidates) {
      if (limit === undefined || c.value.lessThan(limit)) {
        limit = c.value;
        description = c.text;
      }
    }
    this.limit = limit;
    this.description = description;
  }

  get paidTotal(): Decimal {
    return this.paid;
  }

  apply(earning: Decimal, trueUp: Decimal): CappedLines {
    // Uncapped (overlays, most components): paid is always the uncapped total, so the change is the ask
    // itself and nothing is capped. Only when the sum is certainly exact (well inside the 60-digit
    // precision), so the general path below would have found `delta.equals(asked)` too.
    if (this.limit === undefined && trueUp.isZero() && exactlyAddable(this.uncapped, earning)) {
      this.uncapped = this.uncapped.plus(earning);
      this.paid = this.uncapped;
      return { earning, trueUp, capped: false, note: "" };
    }
    const asked = earning.plus(trueUp);
    this.uncapped = this.uncapped.plus(asked);
    const newPaid = this.limit === undefined ? this.uncapped : Decimal.min(this.uncapped, this.limit);
    const delta = newPaid.minus(this.paid);
    this.paid = newPaid;
    if (delta.equals(asked)) return { earning, trueUp, capped: false, note: "" };
    // The change the cap allows (delta) lies between 0 and what was asked, so the difference can always be
    // taken from the parts with the same sign as the ask, shrinking them toward zero: true-up first.
    let rest = asked.minus(delta);
    let adjustedTrueUp = trueUp;
    let adjustedEarning = earning;
    const shrink = (part: Decimal): Decimal => {
      const take = rest.isPositive()
        ? Decimal.max(ZERO, Decimal.min(part, rest))
        : Decimal.min(ZERO, Decimal.max(part, rest));
      rest = rest.minus(take);
      return part.minus(take);
    };
    adjustedTrueUp = shrink(adjustedTrueUp);
    adjustedEarning = shrink(adjustedEarning);
    if (!rest.isZero()) throw new Error(`earnings cap: could not apply ${rest.toFixed()} to the lines`);
    return {
      earning: adjustedEarning,
      trueUp: adjustedTrueUp,
      capped: true,
      note: `capped by the ${this.description}: pays ${num(delta)} of ${num(asked)}`,
    };
  }
}

/** Both below 10^30 with at most 25 places: their sum has at most 56 digits, so it is exact. */
function exactlyAddable(a: Decimal, b: Decimal): boolean {
  return a.e < 30 && b.e < 30 && a.decimalPlaces() <= 25 && b.decimalPlaces() <= 25;
}
