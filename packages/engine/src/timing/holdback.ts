import { type Decimal, formatDecimal, roundDecimal } from "@icm/events";
import type { LedgerEntry, Mutable, Trace } from "../ledger/types.js";
import { timingTrace } from "./collection.js";
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
    const inputs = {
      payable: money(piece.amount),
      fraction: terms.fraction.toFixed(),
      releaseAfterDays: String(terms.releaseAfterDays),
      releaseDate,
    };
    out.push(
      heldLine(
        piece,
        `${piece.id}:held`,
        "holdback",
        held.negated(),
        piece.period,
        piece.businessDate,
        timingTrace(
          piece,
          piece.trace.sourceEventIds,
          piece.trace.positions,
          inputs,
          `${money(piece.amount)} × ${terms.fraction.toFixed()} = ${money(held)}`,
          `${money(held)} of ${piece.id} held back until ${releaseDate} (${terms.releaseAfterDays} days)`,
        ),
      ),
    );
    out.push(
      heldLine(
        piece,
        `${piece.id}:held:release`,
        "holdback_release",
        held,
        releasePeriod,
        releaseDate,
        timingTrace(
          piece,
          piece.trace.sourceEventIds,
          piece.trace.positions,
          inputs,
          `${piece.businessDate} + ${terms.releaseAfterDays} days = ${releaseDate}`,
          `Release of the ${money(held)} held back from ${piece.id} on ${piece.businessDate}`,
        ),
      ),
    );
  }
  return out;
}

/**
 * A holdback or release line of a piece, in the key order these lines have always had (the piece's rep,
 * currency, quota period and deal first). Built a property at a time (see Mutable).
 */
function heldLine(
  piece: LedgerEntry,
  id: string,
  kind: "holdback" | "holdback_release",
  amount: Decimal,
  period: string,
  businessDate: string,
  trace: Trace,
): LedgerEntry {
  const entry: Mutable<LedgerEntry> = {
    repId: piece.repId,
    currency: piece.currency,
  } as Mutable<LedgerEntry>;
  if (piece.quotaPeriod !== undefined) entry.quotaPeriod = piece.quotaPeriod;
  if (piece.dealId !== undefined) entry.dealId = piece.dealId;
  entry.id = id;
  entry.kind = kind;
  entry.amount = amount;
  entry.period = period;
  entry.businessDate = businessDate;
  entry.trace = trace;
  return entry;
}
