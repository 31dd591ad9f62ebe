import type { Decimal } from "@icm/events";
import type { CalculationException, LedgerEntry } from "../ledger/types.js";

export interface EarningsRequest {
  readonly repId: string;
  /** Quota period id, e.g. "2026-Q1"; its kind decides which plan segments it covers. */
  readonly quotaPeriod: string;
  /** Inclusive log position; facts recorded after it are ignored. Default: everything applied. */
  readonly throughPosition?: number;
}

/** Stage 1 for one (rep, quota period): the attainment and every line it earned, with the exceptions met. */
export interface QuotaPeriodEarnings {
  readonly repId: string;
  readonly quotaPeriod: string;
  /** Plan versions used (sorted by plan id, then version). */
  readonly plans: readonly { planId: string; version: number }[];
  /**
   * credit: everything credited toward quota in the period (deals and quota-counting adjustments; not overlay
   * credit). quota: the sum of the (prorated) quotas of the plan segments in the period; undefined when the
   * QuotaSet is missing or zero. ratio: credit / quota, unrounded.
   */
  readonly attainment: { credit: Decimal; quota: Decimal | undefined; ratio: Decimal | undefined };
  /** In business-time order; each with `period` = the payout period it is paid in. */
  readonly entries: readonly LedgerEntry[];
  readonly exceptions: readonly CalculationException[];
}
