import type { Decimal, DomainEvent } from "@icm/events";

/**
 * What the projector needs from the calculation engine. `Engine` from @icm/engine satisfies it; the port
 * only names the fields the read model stores, so the projector does not depend on the statement's full shape.
 */
export interface RecordedDomainEvent {
  readonly globalPosition: number;
  readonly event: DomainEvent;
}

export interface RepPeriod {
  readonly repId: string;
  /** Payout period id, e.g. "2026-03". */
  readonly period: string;
}

export interface EntryView {
  readonly id: string;
  readonly repId: string;
  readonly kind: string;
  readonly amount: Decimal;
  readonly currency: string;
  readonly period: string;
  readonly quotaPeriod?: string | undefined;
  readonly businessDate: string;
  readonly dealId?: string | undefined;
  readonly trace: unknown;
}

export interface ExceptionView {
  readonly code: string;
  readonly repId?: string | undefined;
  readonly period?: string | undefined;
  readonly dealId?: string | undefined;
  readonly message: string;
  readonly sourceEventIds: readonly string[];
  readonly positions: readonly number[];
}

export interface AttainmentView {
  readonly quotaPeriod: string;
  readonly credit: Decimal;
  readonly quota?: Decimal | undefined;
  readonly ratio?: Decimal | undefined;
}

export interface StatementView {
  readonly repId: string;
  readonly period: string;
  readonly currency: string;
  /** Decimal places money is shown at (the plan's rounding scale); amounts are already rounded to it. */
  readonly scale: number;
  readonly payable: Decimal;
  readonly entries: readonly EntryView[];
  readonly attainment: readonly AttainmentView[];
  readonly exceptions: readonly ExceptionView[];
}

export interface ProjectionEngine<S extends StatementView = StatementView> {
  /** Feeds one recorded event; positions arrive strictly increasing. */
  apply(recorded: RecordedDomainEvent): void;
  /** The payout rep-periods whose statement the just-applied event may have changed. */
  affected(recorded: RecordedDomainEvent): readonly RepPeriod[];
  statement(repId: string, period: string): S;
  /**
   * Every rep's statement exceptions for each of the periods, from one pass over the reps (what the period
   * exceptions are made of, besides the company-wide ones). A rep-period whose statement is empty (no
   * entries, no exceptions) is left out.
   */
  statementExceptionsOf(
    periods: readonly string[],
  ): ReadonlyMap<string, ReadonlyMap<string, readonly ExceptionView[]>>;
  /**
   * Every exception touching each of the periods: the statements' exceptions the caller holds
   * (`statementExceptions(period)`: every rep's, as `statement(rep, period).exceptions` gives them), plus
   * those that belong to a period rather than one rep's statement (e.g. a deal crediting an unknown rep),
   * sorted.
   */
  periodExceptionsGiven(
    periods: readonly string[],
    statementExceptions: (period: string) => Iterable<readonly ExceptionView[]>,
  ): ReadonlyMap<string, readonly ExceptionView[]>;
}

/** A fresh engine plus the statement encoding the read model stores (and digests: SHA-256 of its canonical JSON). */
export interface StatementModel<S extends StatementView = StatementView> {
  createEngine(): ProjectionEngine<S>;
  /** Plain JSON of a statement: the bytes that are digested (statementDigest = SHA-256 of their canonical JSON). */
  canonical(statement: S): unknown;
}
