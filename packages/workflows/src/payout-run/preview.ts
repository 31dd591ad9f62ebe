import type { CalculationException, Engine } from "@icm/engine";
import { type CloseLines, closeLinesFrom } from "./close.js";
import { periodSnapshot } from "./snapshot.js";
import type { CurrencyTotal, PayoutRunStatement } from "./summary.js";

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
  // One pass over the reps for the lines, the totals and the exceptions (see PeriodSnapshot).
  const snapshot = periodSnapshot(engine, period, throughPosition);
  const own = engine.facts.closes(throughPosition).find((c) => c.period === period);
  const closed = own === undefined ? snapshot.closedBy : { eventId: own.eventId, position: own.position };
  const preview: PayoutRunPreview = {
    period,
    throughPosition: throughPosition ?? engine.lastPosition,
    ...(closed === undefined ? {} : { closed }),
    statements: snapshot.lines,
    totals: snapshot.totals,
    exceptions: [...snapshot.exceptions],
    canClose: closed === undefined && snapshot.exceptions.length === 0,
  };
  const closeLines: CloseLines = closeLinesFrom(snapshot);
  return { preview, closeLines };
}
