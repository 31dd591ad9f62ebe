import type { Facts } from "../facts/index.js";

const END_OF_LOG = Number.MAX_SAFE_INTEGER;

/**
 * The quota periods of a rep with any activity as of the position: own deals (and their cancellations),
 * quotas, adjustments, and, for a rep whose plan has an overlay, the periods of reports' deals. Sorted.
 * Entries of a quota period can be paid in later payout periods (a clawback on the cancel date), so a
 * statement for a payout period gathers the entries of all of these whose `period` matches.
 */
export function quotaPeriodsOf(facts: Facts, repId: string, throughPosition: number = END_OF_LOG): string[] {
  return facts.quotaPeriodsWithActivity(repId, throughPosition);
}
