import type { Decimal, RoundingMode } from "@icm/events";
import type { EntryKind } from "../ledger/types.js";

/** How timing lines are rounded and placed; built from the plan and the company calendar. */
export interface TimingContext {
  readonly scale: number;
  readonly mode: RoundingMode;
  /** The payout period id that contains a business date (YYYY-MM-DD). */
  readonly payoutPeriodOf: (date: string) => string;
  readonly addDays: (date: string, days: number) => string;
}

/** A customer payment against a deal, in the deal's currency, with its business date resolved to YYYY-MM-DD. */
export interface CollectedPayment {
  readonly paymentId: string;
  readonly amount: Decimal;
  readonly receivedDate: string;
  readonly eventId: string;
  readonly position: number;
}

/** A deal's collection state: its amount (deal currency) and payments, in any order (sorted here). */
export interface DealCollection {
  readonly dealId: string;
  readonly amount: Decimal;
  readonly payments: readonly CollectedPayment[];
}

/** Commission lines that follow the deal's cash under pay-on-collection. */
export const COLLECTION_KINDS: readonly EntryKind[] = ["earning", "true_up", "spiff", "overlay", "clawback"];

/**
 * Lines a holdback percentage applies to: everything earned. Manual adjustments are paid as posted, and draw
 * lines, prior-period adjustments and timing lines are never held again.
 */
export const HOLDBACK_KINDS: readonly EntryKind[] = [
  "earning",
  "true_up",
  "bonus",
  "spiff",
  "overlay",
  "clawback",
];
