import { type Decimal, formatDecimal, roundDecimal } from "@icm/events";
import type { LedgerEntry } from "../ledger/types.js";
import { lineTraceBase } from "./collection.js";
import type { TimingContext } from "./types.js";

export interface HoldbackTerms {
  /** Share of each payable amount that is held, in [0, 1]. */
  readonly fraction: Decimal;
  readonly releaseAfterDays: number;
}

/**
 * Percentage holdback (DOMAIN §4 payment timing): `fraction` of each payable amount is withheld in the period
 * it becomes payable (`holdback`, negative) and paid back in the payout period that contains the payable date
 * plus `releaseAfterDays` (`holdback_release`). A piece is a line (or the part of it that is payable now, or a
 * collection release) whose `businessDate` is the day it became payable. A release never lands before the
 * period the amount was held in.
 */
export function percentageHoldbackEntries(
  pieces: readonly LedgerEntry[],
  terms: HoldbackTerms,
  ctx: TimingContext,
): LedgerEntry[] {
  if (terms.fraction.isNegative() || terms.fraction.greaterThan(1))
    throw new RangeError("holdback fraction must be in [0, 1]");
  if (!Number.isSafeInteger(terms.releaseAfterDays) || terms.releaseAfterDays < 0)
    throw new RangeError("releaseAfterDays must be a whole number ≥ 0");
  const out: LedgerEntry[] = [];
  for (const piece of pieces) {
    const held = roundDecimal(piece.amount.times(terms.fraction), ctx.scale, ctx.mode);
    if (held.isZero()) continue;
    const money = (v: Decimal) => formatDecimal(v, ctx.scale);
    const releaseDate = ctx.addDays(piece.businessDate, terms.releaseAfterDays);
    const releasePeriodByDate = ctx.payoutPeriodOf(releaseDate);
    const releasePeriod =
      releasePeriodByDate < piece.period && releasePeriodByDate.length === piece.period.length
        ? piece.period
        : releasePeriodByDate;
    const shared = {
      repId: piece.repId,
      currency: piece.currency,
      ...(piece.quotaPeriod === undefined ? {} : { quotaPeriod: piece.quotaPeriod }),
      ...(piece.dealId === undefined ? {} : { dealId: piece.dealId }),
    };
    const inputs = {
      payable: money(piece.amount),
      fraction: terms.fraction.toFixed(),
      releaseAfterDays: String(terms.releaseAfterDays),
      releaseDate,
    };
    out.push({
      ...shared,
      id: `${piece.id}:held`,
      kind: "holdback",
      amount: held.negated(),
      period: piece.period,
      businessDate: piece.businessDate,
      trace: {
        ...lineTraceBase(piece),
        inputs,
        arithmetic: `${money(piece.amount)} × ${terms.fraction.toFixed()} = ${money(held)}`,
        explanation: `${money(held)} of ${piece.id} held back until ${releaseDate} (${terms.releaseAfterDays} days)`,
      },
    });
    out.push({
      ...shared,
      id: `${piece.id}:held:release`,
      kind: "holdback_release",
      amount: held,
      period: releasePeriod,
      businessDate: releaseDate,
      trace: {
        ...lineTraceBase(piece),
        inputs,
        arithmetic: `${piece.businessDate} + ${terms.releaseAfterDays} days = ${releaseDate}`,
        explanation: `Release of the ${money(held)} held back from ${piece.id} on ${piece.businessDate}`,
      },
    });
  }
  return out;
}
