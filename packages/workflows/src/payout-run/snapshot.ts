import {
  type CalculationException,
  type Engine,
  parsePeriodId,
  periodExceptionsFrom,
  periodExceptions as stageOneExceptions,
} from "@icm/engine";
import {
  type CurrencyTotal,
  CurrencyTotals,
  type PayoutRunStatement,
  PlanVersions,
  summarise,
} from "./summary.js";

/**
 * What a payout run needs of a period's statements as of one log position, from ONE pass over the reps: each
 * statement's line (payable and digest), the totals, the plan versions and the open exceptions.
 * `Engine.periodExceptions` computes the period's statements itself, and the engine's latest-statement cache
 * holds a few hundred reps, so asking it for the statements and then for the exceptions computed every
 * statement twice (four times in a close: preview, then exceptions and body). The statements themselves are
 * not kept: each is folded in and let go (at 10,000 reps they were several GiB held at once).
 */
export interface PeriodSnapshot {
  readonly period: string;
  /** The log position the snapshot is computed through. */
  readonly throughPosition: number;
  /** One per statement, sorted by rep id (Engine.statements order). */
  readonly lines: readonly PayoutRunStatement[];
  /** One per currency, sorted by currency code. */
  readonly totals: readonly CurrencyTotal[];
  /** Every plan version behind the statements, sorted by plan id then version. */
  readonly planVersions: readonly { planId: string; version: number }[];
  /** The close the first frozen statement names, if any. */
  readonly closedBy: { readonly eventId: string; readonly position: number } | undefined;
  /** Exactly what `Engine.periodExceptions(period, { throughPosition })` returns. */
  readonly exceptions: readonly CalculationException[];
}

/** The period's snapshot at `throughPosition` (default: everything applied). */
export function periodSnapshot(engine: Engine, period: string, throughPosition?: number): PeriodSnapshot {
  const options = throughPosition === undefined ? {} : { throughPosition };
  const lines: PayoutRunStatement[] = [];
  const totals = new CurrencyTotals();
  const planVersions = new PlanVersions();
  const statementExceptions: CalculationException[] = [];
  let closedBy: PeriodSnapshot["closedBy"];
  for (const s of engine.eachStatement(period, options)) {
    lines.push(summarise(s));
    totals.add(s);
    planVersions.add(s);
    for (const x of s.exceptions) statementExceptions.push(x);
    if (closedBy === undefined && s.closed !== undefined) closedBy = s.closed;
  }
  // The engine resolves a position at or beyond its last one to "latest"; so do we.
  const position =
    throughPosition === undefined || throughPosition >= engine.lastPosition
      ? engine.lastPosition
      : throughPosition;
  const calendar = engine.facts.calendar(position);
  return {
    period,
    throughPosition: position,
    lines,
    totals: totals.totals(),
    planVersions: planVersions.versions(),
    closedBy,
    exceptions: periodExceptionsFrom(
      [{ exceptions: statementExceptions }],
      stageOneExceptions(engine.facts, position),
      parsePeriodId(calendar, period),
      calendar,
    ),
  };
}
