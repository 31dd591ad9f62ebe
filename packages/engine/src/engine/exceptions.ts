import { type CompanyCalendar, type Period, parsePeriodId } from "../calendar/index.js";
import type { QuotaPeriodEarnings } from "../earnings/index.js";
import type { DisputeFact } from "../facts/index.js";
import type { CalculationException, LedgerEntry } from "../ledger/types.js";
import { overlaps } from "./periods.js";

/** Identity of an exception for de-duplication and ordering (everything but log positions). */
export function exceptionKey(x: CalculationException): string {
  return JSON.stringify([
    x.code,
    x.repId ?? "",
    x.period ?? "",
    x.dealId ?? "",
    x.message,
    [...x.sourceEventIds].sort(),
  ]);
}

/** Whether an exception belongs on a statement of `period` (no period, or an overlapping one). */
export function touchesPeriod(x: CalculationException, period: Period, calendar: CompanyCalendar): boolean {
  if (x.period === undefined) return true;
  try {
    return overlaps(parsePeriodId(calendar, x.period), period);
  } catch {
    return true; // a period we cannot read is shown rather than hidden
  }
}

export function sortedUnique(exceptions: Iterable<CalculationException>): CalculationException[] {
  const found = new Map<string, CalculationException>();
  for (const x of exceptions) {
    const k = exceptionKey(x);
    if (!found.has(k)) found.set(k, x);
  }
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, x]) => x);
}

export interface StatementExceptionSources {
  readonly repId: string;
  readonly period: Period;
  readonly calendar: CompanyCalendar;
  readonly quotaPeriods: readonly QuotaPeriodEarnings[];
  /** Stage-1 exceptions that belong to no rep computation (e.g. unknown reps). */
  readonly companyWide: readonly CalculationException[];
  readonly openDisputes: readonly DisputeFact[];
}

/**
 * A statement's exceptions: those of the quota periods overlapping it, company-wide ones naming the rep,
 * and the rep's open disputes, each once, in a stable order.
 */
export function statementExceptions(src: StatementExceptionSources): CalculationException[] {
  const found: CalculationException[] = [];
  for (const qp of src.quotaPeriods) {
    if (!overlaps(parsePeriodId(src.calendar, qp.quotaPeriod), src.period)) continue;
    for (const x of qp.exceptions) {
      if ((x.repId === undefined || x.repId === src.repId) && touchesPeriod(x, src.period, src.calendar))
        found.push(x);
    }
  }
  for (const x of src.companyWide)
    if (x.repId === src.repId && touchesPeriod(x, src.period, src.calendar)) found.push(x);
  for (const dispute of src.openDisputes) {
    const x: CalculationException = {
      code: "open_dispute",
      repId: src.repId,
      period: dispute.period,
      ...(dispute.dealId === undefined ? {} : { dealId: dispute.dealId }),
      message: `dispute ${dispute.disputeId} is open`,
      sourceEventIds: [dispute.eventId],
      positions: [dispute.position],
    };
    const alreadyListed = found.some(
      (y) => y.code === "open_dispute" && y.sourceEventIds.includes(dispute.eventId),
    );
    if (!alreadyListed && touchesPeriod(x, src.period, src.calendar)) found.push(x);
  }
  return sortedUnique(found);
}

/**
 * Lines in another currency than the statement's cannot be summed into one payable: the statement still
 * shows them, and says so (typically a rep whose plan currency differs from the plan's).
 */
export function currencyExceptions(
  repId: string,
  period: Period,
  currency: string,
  entries: readonly LedgerEntry[],
): CalculationException[] {
  const foreign = entries.filter((e) => e.currency !== currency);
  if (foreign.length === 0) return [];
  const currencies = [...new Set(foreign.map((e) => e.currency))].sort();
  const sources = new Map<string, number>();
  for (const e of foreign) {
    for (const [i, id] of e.trace.sourceEventIds.entries()) sources.set(id, e.trace.positions[i] ?? -1);
  }
  const ids = [...sources.keys()].sort();
  return [
    {
      code: "currency_mismatch",
      repId,
      period: period.id,
      message: `${foreign.length} line(s) in ${currencies.join(", ")} on a ${currency} statement; the payable adds them as if ${currency}`,
      sourceEventIds: ids,
      positions: ids.map((id) => sources.get(id) ?? -1),
    },
  ];
}

/**
 * Every exception touching a period: each statement's, plus the company-wide (stage-1) ones whose period
 * overlaps it, each once, in the engine's order. What Engine.periodExceptions returns, for callers that
 * already hold the period's statements (a close computes them once and derives both from one pass).
 */
export function periodExceptionsFrom(
  statements: Iterable<{ readonly exceptions: readonly CalculationException[] }>,
  stageOne: Iterable<CalculationException>,
  period: Period,
  calendar: CompanyCalendar,
): CalculationException[] {
  const found: CalculationException[] = [];
  for (const s of statements) for (const x of s.exceptions) found.push(x);
  for (const x of stageOne) if (touchesPeriod(x, period, calendar)) found.push(x);
  return sortedUnique(found);
}
