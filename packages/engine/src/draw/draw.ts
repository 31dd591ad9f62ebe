import { Decimal } from "@icm/events";

/** The draw terms in force for one payout period (from the plan's draw component), already in plan currency. */
export interface DrawTerms {
  readonly componentId: string;
  /** Guaranteed amount for the period, rounded to the plan scale. */
  readonly amount: Decimal;
  readonly recoverable: boolean;
  /** Most that may be recovered from one period's earnings; absent = no limit. */
  readonly recoveryCapPerPeriod?: Decimal;
}

/** What the draw does in one payout period. Both amounts are non-negative magnitudes. */
export interface DrawSettlement {
  /** Paid on top of earnings to bring the period up to the draw (`draw_advance`, positive). */
  readonly advance: Decimal;
  /** Taken back from earnings above the draw against the carried deficit (`draw_recovery`, booked negative). */
  readonly recovery: Decimal;
  readonly deficitOpening: Decimal;
  readonly deficitClosing: Decimal;
}

const ZERO = new Decimal(0);

/**
 * Settles one payout period's draw. `earnings` is what the period pays before draw lines (earnings,
 * adjustments, holdbacks and releases, prior-period adjustments).
 *
 * Recoverable: an advance tops the period up to the draw and adds to the deficit; earnings above the draw
 * repay the deficit, at most `recoveryCapPerPeriod`. Non-recoverable: the advance is a guarantee, nothing is
 * carried. Without draw terms (the rep is not on a draw this period) a deficit is carried unchanged: it is
 * recovered only while a recoverable draw is in force, because the cap belongs to the draw's terms.
 */
export function settleDraw(
  earnings: Decimal,
  terms: DrawTerms | undefined,
  deficitOpening: Decimal,
): DrawSettlement {
  if (deficitOpening.isNegative())
    throw new RangeError(`draw deficit must not be negative, got ${deficitOpening.toFixed()}`);
  if (terms === undefined) {
    return { advance: ZERO, recovery: ZERO, deficitOpening, deficitClosing: deficitOpening };
  }
  if (terms.amount.isNegative())
    throw new RangeError(`draw amount must not be negative, got ${terms.amount.toFixed()}`);
  if (terms.recoveryCapPerPeriod?.isNegative() === true)
    throw new RangeError("draw recovery cap must not be negative");
  if (earnings.lessThan(terms.amount)) {
    const advance = terms.amount.minus(earnings);
    const deficitClosing = terms.recoverable ? deficitOpening.plus(advance) : deficitOpening;
    return { advance, recovery: ZERO, deficitOpening, deficitClosing };
  }
  if (!terms.recoverable)
    return { advance: ZERO, recovery: ZERO, deficitOpening, deficitClosing: deficitOpening };
  let recovery = Decimal.min(earnings.minus(terms.amount), deficitOpening);
  if (terms.recoveryCapPerPeriod !== undefined) recovery = Decimal.min(recovery, terms.recoveryCapPerPeriod);
  return { advance: ZERO, recovery, deficitOpening, deficitClosing: deficitOpening.minus(recovery) };
}
