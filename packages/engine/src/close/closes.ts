import type { Period } from "../calendar/index.js";

/** A PeriodClosed as the close stage needs it. */
export interface CloseRecord {
  readonly period: Period;
  readonly throughPosition: number;
  readonly eventId: string;
  readonly position: number;
}

/**
 * The close that freezes a payout period: the EARLIEST (by log position) close whose period contains it
 * ("2026-Q1" closes 2026-01..03). A closed statement never changes, so a later close of a containing period
 * (closing the quarter after its months) does not re-freeze it.
 */
export function closeCovering(closes: readonly CloseRecord[], period: Period): CloseRecord | undefined {
  let found: CloseRecord | undefined;
  for (const c of closes) {
    if (
      c.period.start <= period.start &&
      period.end <= c.period.end &&
      (found === undefined || c.position < found.position)
    )
      found = c;
  }
  return found;
}
