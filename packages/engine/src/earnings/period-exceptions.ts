import { periodContaining, toBusinessDate } from "../calendar/index.js";
import type { Facts } from "../facts/index.js";
import type { CalculationException } from "../ledger/types.js";

const END_OF_LOG = Number.MAX_SAFE_INTEGER;

/**
 * Exceptions that belong to no rep's computation: a split naming a rep who was never onboarded
 * (`unknown_rep`; the rest of the deal still credits the known reps) and amendments, cancellations or
 * payments for a deal that has not closed (`unknown_deal`). `period` is the month of the business date,
 * so a statement for any payout period containing that month shows it. Sorted by period, deal, rep.
 */
export function periodExceptions(facts: Facts, throughPosition: number = END_OF_LOG): CalculationException[] {
  const calendar = facts.calendar(throughPosition);
  const out: CalculationException[] = [];
  for (const dealId of facts.dealsThatNamedUnknownReps()) {
    const deal = facts.deal(dealId, throughPosition);
    if (deal === undefined) continue;
    const date = toBusinessDate(calendar, deal.closeDate);
    const unknown = [...new Set(deal.splits.map((s) => s.repId))]
      .filter((r) => facts.rep(r, throughPosition) === undefined)
      .sort();
    for (const repId of unknown) {
      out.push({
        code: "unknown_rep",
        repId,
        period: periodContaining(calendar, "month", date).id,
        dealId,
        message: `Deal ${dealId} credits ${repId}, who has not been onboarded; that share is not credited to anyone`,
        sourceEventIds: deal.sources.map((s) => s.eventId),
        positions: deal.sources.map((s) => s.position),
      });
    }
  }
  for (const dealId of facts.dealIdsWithOrphanFacts()) {
    const orphans = facts.orphanFactsOf(dealId, throughPosition);
    if (orphans.length === 0) continue;
    out.push({
      code: "unknown_deal",
      dealId,
      message: `Deal ${dealId}: ${orphans.length} amendment/cancellation/payment fact(s) recorded before the deal closed`,
      sourceEventIds: orphans.map((s) => s.eventId),
      positions: orphans.map((s) => s.position),
    });
  }
  return out.sort((a, b) => {
    const ka = `${a.period ?? ""}\u0000${a.dealId ?? ""}\u0000${a.repId ?? ""}\u0000${a.code}`;
    const kb = `${b.period ?? ""}\u0000${b.dealId ?? ""}\u0000${b.repId ?? ""}\u0000${b.code}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
