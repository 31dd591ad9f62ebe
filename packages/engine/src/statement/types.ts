import type { Decimal } from "@icm/events";
import type { CalculationException, EntryKind, LedgerEntry } from "../ledger/types.js";

/** Balances carried from one payout period to the next. */
export interface StatementBalance {
  /** Unrecovered recoverable draw: advanced, not yet earned back. */
  readonly drawDeficit: Decimal;
  /** Earned but withheld (pay on collection, holdback percentage), not yet released. */
  readonly heldBack: Decimal;
}

export interface StatementAttainment {
  readonly quotaPeriod: string;
  readonly credit: Decimal;
  readonly quota?: Decimal;
  readonly ratio?: Decimal;
}

export interface PlanRef {
  readonly planId: string;
  readonly version: number;
}

/**
 * A rep's statement for one payout period as of a log position (DOMAIN §6): a pure function of the events
 * up to `throughPosition`. Derived, never mutated.
 */
export interface Statement {
  readonly repId: string;
  readonly period: string;
  /** Payout currency (the rep's plan currency). */
  readonly currency: string;
  /** Decimal places money is shown and digested at (the plan's rounding scale). */
  readonly scale: number;
  readonly throughPosition: number;
  /** Plan versions behind the lines and the draw, sorted. */
  readonly plans: readonly PlanRef[];
  readonly openingBalance: StatementBalance;
  /** In business-time order: business date, then stage (earnings, timing, adjustments, draw), then id. */
  readonly entries: readonly LedgerEntry[];
  /** Sum per entry kind; every kind is present (zero when absent) so statements compare field by field. */
  readonly totals: Readonly<Record<EntryKind, Decimal>>;
  /** Sum of every entry of the period: what payroll pays. */
  readonly payable: Decimal;
  readonly closingBalance: StatementBalance;
  readonly attainment: readonly StatementAttainment[];
  readonly exceptions: readonly CalculationException[];
  /** Present when the period is closed: the statement is the frozen one computed at the close. */
  readonly closed?: { readonly eventId: string; readonly position: number };
}
