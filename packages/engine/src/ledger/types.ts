import type { Decimal } from "@icm/events";

/** The kinds of payout-ledger entry (DOMAIN.md §6). */
export const ENTRY_KINDS = [
  "earning",
  "true_up",
  "bonus",
  "spiff",
  "overlay",
  "draw_advance",
  "draw_recovery",
  "clawback",
  "adjustment",
  "prior_period_adjustment",
  "holdback",
  "holdback_release",
  "payout",
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/**
 * Why an entry is what it is: enough for a rep to read and for an auditor to recompute.
 * `inputs` keeps unrounded intermediates as decimal strings (DOMAIN.md §5: round once, at the line).
 */
export interface Trace {
  readonly sourceEventIds: readonly string[];
  readonly positions: readonly number[];
  readonly planId?: string;
  readonly planVersion?: number;
  /** Component id within the plan. */
  readonly component?: string;
  /** Band label, e.g. "100%–150% @ 15%". */
  readonly band?: string;
  readonly inputs: Readonly<Record<string, string>>;
  /** e.g. "40,000 × 10% + 30,000 × 15% = 8,500" */
  readonly arithmetic: string;
  /** One line a rep can read, e.g. "Deal D-42: 120,000 × 50% = 60,000 credit; attainment 80% → 104%". */
  readonly explanation: string;
}

/**
 * An entry or trace while it is built a property at a time (then handed out as the readonly type). Hot
 * builders set optional keys with `if`, not `...(x === undefined ? {} : { x })` in a literal: V8 (Node 20)
 * copies a spread in the middle of a literal through a slow runtime path (~10× the plain stores).
 */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface LedgerEntry {
  /** Deterministic id, unique within a rep's ledger (built from rep, period, component, deal, kind, ordinal). */
  readonly id: string;
  readonly repId: string;
  readonly kind: EntryKind;
  /** Signed amount, already rounded by the plan's rounding policy. */
  readonly amount: Decimal;
  readonly currency: string;
  /** Payout period id the entry is paid in (e.g. "2026-03" or "2026-Q1"). */
  readonly period: string;
  /** Quota period whose attainment produced it, when there is one. */
  readonly quotaPeriod?: string;
  /** Business date that placed the entry in its period (close, cancel, payment or release date). */
  readonly businessDate: string;
  readonly dealId?: string;
  readonly trace: Trace;
}

export const EXCEPTION_CODES = [
  "unknown_rep",
  "missing_fx_rate",
  "bad_splits",
  "no_plan_assignment",
  "unknown_plan_version",
  "missing_quota",
  "unknown_deal",
  "currency_mismatch",
  "open_dispute",
] as const;
export type ExceptionCode = (typeof EXCEPTION_CODES)[number];

/** A well-formed fact that cannot be used yet: listed on the statement, never silently dropped. */
export interface CalculationException {
  readonly code: ExceptionCode;
  readonly repId?: string;
  readonly period?: string;
  readonly dealId?: string;
  readonly message: string;
  readonly sourceEventIds: readonly string[];
  readonly positions: readonly number[];
}
