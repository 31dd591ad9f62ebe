import { parseDecimal } from "@icm/events";
import type { LedgerEntry } from "../ledger/types.js";
import type { PaymentTiming } from "../plan/types.js";
import { collectionTimingEntries } from "./collection.js";
import { percentageHoldbackEntries } from "./holdback.js";
import { COLLECTION_KINDS, type DealCollection, HOLDBACK_KINDS, type TimingContext } from "./types.js";

export interface TimingSources {
  /** The payment timing of the plan version that produced a line, with its rounding and calendar. */
  readonly timingOf: (
    line: LedgerEntry,
  ) => { readonly paymentTiming: PaymentTiming; readonly ctx: TimingContext } | undefined;
  /** Amount and payments of a deal as of the computation position; undefined = unknown deal (paid on close). */
  readonly collectionOf: (dealId: string) => DealCollection | undefined;
}

/**
 * Applies each plan's payment timing to a rep's earnings lines and returns the extra `holdback` and
 * `holdback_release` lines (the earnings lines themselves are unchanged, so every cent stays traceable to
 * the line that earned it). Lines are processed in the order given; output order follows it.
 */
export function timingEntries(lines: readonly LedgerEntry[], sources: TimingSources): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  // Pay-on-collection lines grouped per deal, keeping first-seen (business-time) order of deals.
  const byDeal = new Map<
    string,
    { lines: LedgerEntry[]; ctx: TimingContext; fraction?: { text: string; days: number } }
  >();
  const holdbackPieces: { piece: LedgerEntry; ctx: TimingContext; fraction: string; days: number }[] = [];
  for (const line of lines) {
    const timing = sources.timingOf(line);
    if (timing === undefined) continue;
    const holdback = timing.paymentTiming.holdback;
    const onCollection =
      timing.paymentTiming.kind === "on_collection" &&
      line.dealId !== undefined &&
      COLLECTION_KINDS.includes(line.kind);
    if (onCollection && line.dealId !== undefined) {
      const group = byDeal.get(line.dealId) ?? { lines: [], ctx: timing.ctx };
      group.lines.push(line);
      byDeal.set(line.dealId, group);
      continue;
    }
    if (holdback !== undefined && HOLDBACK_KINDS.includes(line.kind)) {
      holdbackPieces.push({
        piece: line,
        ctx: timing.ctx,
        fraction: holdback.fraction,
        days: holdback.releaseAfterDays,
      });
    }
  }
  for (const [dealId, group] of byDeal) {
    const deal = sources.collectionOf(dealId);
    const collection = deal === undefined ? [] : collectionTimingEntries(group.lines, deal, group.ctx);
    for (const line of collection) out.push(line);
    // A holdback percentage on top of collection applies to what becomes payable: the collected part of each
    // line on its date, and each release on its payment date.
    for (const line of group.lines) {
      const timing = sources.timingOf(line);
      const holdback = timing?.paymentTiming.holdback;
      if (timing === undefined || holdback === undefined || !HOLDBACK_KINDS.includes(line.kind)) continue;
      const heldNow = collection.find((e) => e.id === `${line.id}:holdback`);
      const payableNow = heldNow === undefined ? line : { ...line, amount: line.amount.plus(heldNow.amount) };
      holdbackPieces.push({
        piece: payableNow,
        ctx: timing.ctx,
        fraction: holdback.fraction,
        days: holdback.releaseAfterDays,
      });
      for (const release of collection) {
        if (release.kind === "holdback_release" && release.id.startsWith(`${line.id}:release:`)) {
          holdbackPieces.push({
            piece: release,
            ctx: timing.ctx,
            fraction: holdback.fraction,
            days: holdback.releaseAfterDays,
          });
        }
      }
    }
  }
  for (const { piece, ctx, fraction, days } of holdbackPieces) {
    const entries = percentageHoldbackEntries(
      [piece],
      { fraction: parseDecimal(fraction), releaseAfterDays: days },
      ctx,
    );
    for (const entry of entries) out.push(entry);
  }
  return out;
}
