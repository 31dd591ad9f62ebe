import { merkleRoot } from "@icm/audit";
import { type CalculationException, ENGINE_VERSION, type Engine, type Statement } from "@icm/engine";
import type { EventData } from "@icm/events";
import type { PeriodSnapshot } from "./snapshot.js";
import { type PayoutRunStatement, PlanVersions, summarise } from "./summary.js";

export type PeriodClosedData = EventData["PeriodClosed"];

/** Who closes, and why despite open exceptions (finance's explicit override, recorded in the close). */
export interface CloseBy {
  readonly actor: string;
  readonly override?: { readonly reason: string };
  /**
   * When the close happened (ISO instant), recorded as `closedAt`. Supplied by the caller because the
   * workflows never read the wall clock; it is informational and enters no calculation.
   */
  readonly at?: string;
}

export interface CloseResult {
  readonly period: string;
  readonly eventId: string;
  /** Log position of the PeriodClosed event. */
  readonly position: number;
  /** False when this call recorded the close; true when the period was already closed (the first close). */
  readonly alreadyClosed: boolean;
  readonly close: PeriodClosedData;
}

/** The deterministic event id of a period's close: a second close of the same period collides on it. */
export function closeEventId(period: string): string {
  return `close-${period}`;
}

/** A stable, readable key for an exception listed in an override (what finance chose to close over). */
export function exceptionKey(x: CalculationException): string {
  return [
    x.code,
    x.repId ?? "-",
    x.period ?? "-",
    x.dealId ?? "-",
    [...x.sourceEventIds].sort().join("+"),
  ].join(":");
}

/**
 * The body of the PeriodClosed event (DOMAIN.md §7): every statement of the period as of `throughPosition`
 * with its digest, the Merkle root over them, the plan versions behind them, the engine version, and the
 * chain head at that position. Statements are folded in one at a time (Engine.eachStatement).
 */
export function buildClose(engine: Engine, input: CloseInput): PeriodClosedData {
  return closeBody(engine.eachStatement(input.period, { throughPosition: input.throughPosition }), input);
}

/** `buildClose` from statements already computed (`engine.statements(period, { throughPosition })`). */
export function closeBody(statements: Iterable<Statement>, input: CloseInput): PeriodClosedData {
  return closeBodyOf(closeLinesOf(statements), input);
}

/** What a close records of the period's statements: one line per statement, and the plans behind them. */
export interface CloseLines {
  /** Sorted by rep id: payable at the statement's scale and the statement digest. */
  readonly lines: readonly { repId: string; currency: string; payable: string; digest: string }[];
  /** Every plan version behind the statements, sorted by plan id then version. */
  readonly planVersions: readonly { planId: string; version: number }[];
}

export interface CloseInput {
  readonly period: string;
  readonly throughPosition: number;
  readonly chainHead: string;
  readonly by: CloseBy;
  readonly exceptions: readonly CalculationException[];
}

/** The close's lines of statements (digests computed here, once), one statement at a time. */
export function closeLinesOf(statements: Iterable<Statement>): CloseLines {
  const lines: PayoutRunStatement[] = [];
  const planVersions = new PlanVersions();
  for (const s of statements) {
    lines.push(summarise(s));
    planVersions.add(s);
  }
  return closeLinesFrom({ lines, planVersions: planVersions.versions() });
}

/** The close's lines from a payout run's lines (a snapshot's digests serve the preview and the close). */
export function closeLinesFrom(run: Pick<PeriodSnapshot, "lines" | "planVersions">): CloseLines {
  return {
    lines: run.lines.map((l) => ({
      repId: l.repId,
      currency: l.currency,
      payable: l.payable,
      digest: l.digest,
    })),
    planVersions: run.planVersions,
  };
}

/** The PeriodClosed body from the close's lines. */
export function closeBodyOf(closeLines: CloseLines, input: CloseInput): PeriodClosedData {
  const lines = closeLines.lines.map((l) => ({
    repId: l.repId,
    currency: l.currency,
    payable: l.payable,
    digest: l.digest,
  }));
  const planVersions = closeLines.planVersions.map((p) => ({ planId: p.planId, version: p.version }));
  return {
    period: input.period,
    throughPosition: input.throughPosition,
    chainHead: input.chainHead,
    planVersions,
    engineVersion: ENGINE_VERSION,
    statements: lines,
    merkleRoot: merkleRoot(lines.map((l) => ({ repId: l.repId, digest: l.digest }))),
    closedBy: input.by.actor,
    ...(input.by.at === undefined ? {} : { closedAt: input.by.at }),
    ...(input.by.override === undefined || input.exceptions.length === 0
      ? {}
      : { override: { reason: input.by.override.reason, exceptions: input.exceptions.map(exceptionKey) } }),
  };
}
