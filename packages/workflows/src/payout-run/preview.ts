import type { CalculationException, Engine, Statement } from "@icm/engine";
import { statementDigest } from "@icm/engine";
import type { Decimal } from "@icm/events";
import { type CloseLines, planVersionsOf } from "./close.js";
import { money, ZERO } from "./money.js";
import { periodSnapshot } from "./snapshot.js";

/** One rep's line of a payout run. */
export interface PayoutRunStatement {
  readonly repId: string;
  readonly currency: string;
  /** What payroll pays, at the statement's scale. */
  readonly payable: string;
  /** SHA-256 of the canonical statement: what the close records. */
  readonly digest: string;
  /** Open exceptions on this rep's statement. */
  readonly exceptions: number;
}

export interface CurrencyTotal {
  readonly currency: string;
  readonly payable: string;
  readonly reps: number;
}

/** A draft payout run (or, for a closed period, the frozen one). */
export interface PayoutRunPreview {
  readonly period: string;
  /** Log position the run is computed through. */
  readonly throughPosition: number;
  /** Present when the period is already closed. */
  readonly closed?: { readonly eventId: string; readonly position: number };
  /** Sorted by rep id. */
  readonly statements: readonly PayoutRunStatement[];
  /** One per currency, sorted by currency code. */
  readonly totals: readonly CurrencyTotal[];
  /** Open exceptions affecting the period (every statement's plus company-wide ones), sorted. */
  readonly exceptions: readonly CalculationException[];
  /** True when the period is open and has no open exception. */
  readonly canClose: boolean;
}

/** Sums payables per currency, at the largest scale seen in that currency. */
export function currencyTotals(statements: readonly Statement[]): CurrencyTotal[] {
  const byCurrency = new Map<string, { sum: Decimal; scale: number; reps: number }>();
  for (const s of statements) {
    const t = byCurrency.get(s.currency) ?? { sum: ZERO, scale: s.scale, reps: 0 };
    byCurrency.set(s.currency, {
      sum: t.sum.plus(s.payable),
      scale: Math.max(t.scale, s.scale),
      reps: t.reps + 1,
    });
  }
  return [...byCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, t]) => ({ currency, payable: money(t.sum, t.scale), reps: t.reps }));
}

export function summarise(s: Statement): PayoutRunStatement {
  return {
    repId: s.repId,
    currency: s.currency,
    payable: money(s.payable, s.scale),
    digest: statementDigest(s),
    exceptions: s.exceptions.length,
  };
}

/** The payout run for a period as the engine sees it now (or as of a position). */
export function previewRun(engine: Engine, period: string, throughPosition?: number): PayoutRunPreview {
  return previewWithCloseLines(engine, period, throughPosition).preview;
}

/**
 * The payout run, and what a close at the same position would record of its statements (digests and
 * payables are computed once, for both): a workspace keeps these so that closing right after a preview
 * does not compute every statement again.
 */
export function previewWithCloseLines(
  engine: Engine,
  period: string,
  throughPosition?: number,
): { preview: PayoutRunPreview; closeLines: CloseLines } {
  // One pass over the reps for both the statements and the exceptions (see PeriodSnapshot).
  const { statements, exceptions } = periodSnapshot(engine, period, throughPosition);
  const own = engine.facts.closes(throughPosition).find((c) => c.period === period);
  const closed =
    own === undefined
      ? statements.find((s) => s.closed !== undefined)?.closed
      : { eventId: own.eventId, position: own.position };
  const lines = statements.map(summarise);
  const preview: PayoutRunPreview = {
    period,
    throughPosition: throughPosition ?? engine.lastPosition,
    ...(closed === undefined ? {} : { closed }),
    statements: lines,
    totals: currencyTotals(statements),
    exceptions: [...exceptions],
    canClose: closed === undefined && exceptions.length === 0,
  };
  const closeLines: CloseLines = {
    lines: lines.map((l) => ({ repId: l.repId, currency: l.currency, payable: l.payable, digest: l.digest })),
    planVersions: planVersionsOf(statements),
  };
  return { preview, closeLines };
}
