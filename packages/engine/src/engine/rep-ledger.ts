import type { Decimal } from "@icm/events";
import {
  addDays,
  type CompanyCalendar,
  type Period,
  parsePeriodId,
  periodContaining,
  toBusinessDate,
} from "../calendar/index.js";
import { convertAmount } from "../crediting/index.js";
import { computeEarnings, type QuotaPeriodEarnings, quotaPeriodsOf } from "../earnings/index.js";
import type { Facts } from "../facts/index.js";
import type { LedgerEntry } from "../ledger/types.js";
import type { CollectedPayment, DealCollection, TimingContext } from "../timing/index.js";
import { timingEntries } from "../timing/index.js";

/** Everything stage 1 and payment timing produce for one rep as of one log position, before close and draws. */
export interface RepLedger {
  readonly repId: string;
  readonly throughPosition: number;
  readonly calendar: CompanyCalendar;
  readonly quotaPeriods: readonly QuotaPeriodEarnings[];
  /** Earnings lines then timing lines, each group in business-time order. */
  readonly lines: readonly LedgerEntry[];
  /** How many of `lines` come from stage 1 (the rest are holdbacks and releases). */
  readonly earningsLineCount: number;
  /** Lines by the payout period id they are paid in. */
  readonly linesByPeriod: ReadonlyMap<string, readonly LedgerEntry[]>;
  /** Position of each line in `lines` (the business-time order statements keep). */
  readonly lineIndex: ReadonlyMap<LedgerEntry, number>;
  /** Periods named by the lines, parsed once. */
  readonly periods: ReadonlyMap<string, Period>;
  /**
   * Start of the first quota period left out by a horizon (see `buildRepLedger`); undefined when every
   * quota period is in. The ledger answers for any horizon before this date.
   */
  readonly firstLeftOutStart: string | undefined;
}

/** Computes stage-1 earnings of one quota period; the engine memoizes it per (rep, quota period, revision). */
export type EarningsSource = (
  repId: string,
  quotaPeriod: string,
  throughPosition: number,
) => QuotaPeriodEarnings;

export function defaultEarningsSource(facts: Facts): EarningsSource {
  return (repId, quotaPeriod, throughPosition) =>
    computeEarnings(facts, { repId, quotaPeriod, throughPosition });
}

/**
 * Builds a rep's ledger as of `throughPosition`: every quota period's earnings lines (D1's stage 1), then the
 * payment-timing lines of each plan (holdbacks and releases).
 *
 * With a `horizon` (a business date), only the quota periods starting on or before it: the statements of
 * payout periods ending by the horizon need no other. A quota period's lines are dated inside it or later
 * (deals, adjustments, overlays, holdback and collection releases; a clawback on the later of the cancel
 * and close dates), so nothing left out could land in those statements; a law compares the two. A close of an
 * early quarter in a long log then computes that quarter, not every later one.
 */
export function buildRepLedger(
  facts: Facts,
  repId: string,
  throughPosition: number,
  earnings: EarningsSource,
  horizon?: string,
): RepLedger {
  const calendar = facts.calendar(throughPosition);
  let firstLeftOutStart: string | undefined;
  const quotaPeriods: QuotaPeriodEarnings[] = [];
  for (const qp of quotaPeriodsOf(facts, repId, throughPosition)) {
    if (horizon !== undefined) {
      const start = parsePeriodId(calendar, qp).start;
      if (start > horizon) {
        if (firstLeftOutStart === undefined || start < firstLeftOutStart) firstLeftOutStart = start;
        continue;
      }
    }
    quotaPeriods.push(earnings(repId, qp, throughPosition));
  }
  const earned: LedgerEntry[] = [];
  // No push(...spread): a VP's quota period has hundreds of thousands of overlay lines, and spreading
  // them as call arguments overflows the stack (seen at 10,000 reps / 1M deals).
  for (const qp of quotaPeriods) for (const entry of qp.entries) earned.push(entry);
  const timing = timingEntries(earned, {
    timingOf: (line) => {
      if (line.trace.planId === undefined || line.trace.planVersion === undefined) return undefined;
      const published = facts.publishedPlan(line.trace.planId, line.trace.planVersion, throughPosition);
      if (published === undefined || !published.ok) return undefined;
      const def = published.plan.definition;
      const ctx: TimingContext = {
        scale: def.rounding.scale,
        mode: def.rounding.mode,
        payoutPeriodOf: (date) => periodContaining(calendar, def.payoutPeriod, date).id,
        addDays,
      };
      return { paymentTiming: def.paymentTiming, ctx };
    },
    collectionOf: (dealId) => collectionOf(facts, calendar, dealId, throughPosition),
  });
  const lines = [...earned, ...timing];
  const linesByPeriod = new Map<string, LedgerEntry[]>();
  const periods = new Map<string, Period>();
  const lineIndex = new Map<LedgerEntry, number>();
  for (const line of lines) {
    lineIndex.set(line, lineIndex.size);
    const list = linesByPeriod.get(line.period);
    if (list === undefined) linesByPeriod.set(line.period, [line]);
    else list.push(line);
    if (!periods.has(line.period)) periods.set(line.period, parsePeriodId(calendar, line.period));
  }
  return {
    repId,
    throughPosition,
    calendar,
    quotaPeriods,
    lines,
    earningsLineCount: earned.length,
    linesByPeriod,
    lineIndex,
    periods,
    firstLeftOutStart,
  };
}

/** Whether `ledger` holds every quota period a ledger built with `horizon` (undefined: all) would. */
export function ledgerCovers(ledger: RepLedger, horizon: string | undefined): boolean {
  if (ledger.firstLeftOutStart === undefined) return true;
  return horizon !== undefined && horizon < ledger.firstLeftOutStart;
}

/**
 * A deal's amount and payments for pay-on-collection, payments converted to the deal currency at their
 * received date. A payment that cannot be converted (no FX rate) does not count as collected yet: the
 * commission stays held, which is the safe side.
 */
function collectionOf(
  facts: Facts,
  calendar: CompanyCalendar,
  dealId: string,
  throughPosition: number,
): DealCollection | undefined {
  const deal = facts.deal(dealId, throughPosition);
  if (deal === undefined) return undefined;
  const payments: CollectedPayment[] = [];
  for (const p of facts.paymentsFor(dealId, throughPosition)) {
    const receivedDate = toBusinessDate(calendar, p.receivedDate);
    let amount: Decimal | undefined = p.amount;
    if (p.currency !== deal.currency) {
      amount = convertAmount(
        p.amount,
        p.currency,
        deal.currency,
        receivedDate,
        facts.fx,
        throughPosition,
      )?.amount;
    }
    if (amount === undefined) continue;
    payments.push({ paymentId: p.paymentId, amount, receivedDate, eventId: p.eventId, position: p.position });
  }
  return { dealId, amount: deal.amount, payments };
}
