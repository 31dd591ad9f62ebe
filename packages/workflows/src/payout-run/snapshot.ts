import {
  type CalculationException,
  type Engine,
  parsePeriodId,
  periodExceptionsFrom,
  type Statement,
  periodExceptions as stageOneExceptions,
} from "@icm/engine";

/**
 * Every statement of a period as of one log position, and the open exceptions touching the period, from
 * ONE pass over the reps. `Engine.periodExceptions` computes the period's statements itself, and the
 * engine's latest-statement cache holds a few hundred reps, so asking it for the statements and then for
 * the exceptions computed every statement twice (four times in a close: preview, then exceptions and body).
 */
export interface PeriodSnapshot {
  readonly period: string;
  /** The log position the snapshot is computed through. */
  readonly throughPosition: number;
  /** Sorted by rep id (Engine.statements order). */
  readonly statements: readonly Statement[];
  /** Exactly what `Engine.periodExceptions(period, { throughPosition })` returns. */
  readonly exceptions: readonly CalculationException[];
}

/** The period's statements and exceptions at `throughPosition` (default: everything applied). */
export function periodSnapshot(engine: Engine, period: string, throughPosition?: number): PeriodSnapshot {
  const options = throughPosition === undefined ? {} : { throughPosition };
  const statements = engine.statements(period, options);
  // The engine resolves a position at or beyond its last one to "latest"; so do we.
  const position =
    throughPosition === undefined || throughPosition >= engine.lastPosition
      ? engine.lastPosition
      : throughPosition;
  return {
    period,
    throughPosition: position,
    statements,
    exceptions: exceptionsOf(engine, period, position, statements),
  };
}

function exceptionsOf(
  engine: Engine,
  period: string,
  position: number,
  statements: readonly Statement[],
): CalculationException[] {
  const calendar = engine.facts.calendar(position);
  return periodExceptionsFrom(
    statements,
    stageOneExceptions(engine.facts, position),
    parsePeriodId(calendar, period),
    calendar,
  );
}
