import { merkleRoot } from "@icm/audit";
import {
  type CalculationException,
  ENGINE_VERSION,
  type Engine,
  type PlanRef,
  type Statement,
  statementDigest,
} from "@icm/engine";
import type { EventData } from "@icm/events";
import { money } from "./money.js";

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
 * chain head at that position.
 */
export function buildClose(engine: Engine, input: CloseInput): PeriodClosedData {
  return closeBody(engine.statements(input.period, { throughPosition: input.throughPosition }), input);
}

/**
 * `buildClose` from statements already computed (`engine.statements(period, { throughPosition })`, e.g. a
 * PeriodSnapshot's), so a close does not compute every statement a second time.
 */
export function closeBody(statements: readonly Statement[], input: CloseInput): PeriodClosedData {
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

/** The close's lines of statements (digests computed here, once). */
export function closeLinesOf(statements: readonly Statement[]): CloseLines {
  const lines = statements.map((s) => ({
    repId: s.repId,
    currency: s.currency,
    payable: money(s.payable, s.scale),
    digest: statementDigest(s),
  }));
  return { lines, planVersions: planVersionsOf(statements) };
}

/** The plan versions behind statements, each once, sorted by plan id then version. */
export function planVersionsOf(statements: readonly Statement[]): { planId: string; version: number }[] {
  const plans = new Map<string, PlanRef>();
  for (const s of statements) for (const p of s.plans) plans.set(`${p.planId}@${p.version}`, p);
  return [...plans.values()]
    .sort((a, b) => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : a.version - b.version))
    .map((p) => ({ planId: p.planId, version: p.version }));
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
