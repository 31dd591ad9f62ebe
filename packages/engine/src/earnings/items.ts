import type { Decimal } from "@icm/events";
import { parsePeriodId, periodContaining, toBusinessDate } from "../calendar/index.js";
import type { AdjustmentFact, DealState, Facts, SourceRef } from "../facts/index.js";
import type { EarningsBuilder, LineSpec } from "./builder.js";
import { type ClawbackStatus, clawbackStatus } from "./clawback/clawback.js";
import { creditDeal, type DealCredit } from "./credit/credit.js";
import { num } from "./format.js";
import { type PlanStretch, stretchOn } from "./segments.js";

/** Something that moves attainment: a deal's credit, or an adjustment that counts toward quota. */
export type CreditItem =
  | {
      readonly kind: "deal";
      readonly date: string;
      readonly key: string;
      readonly credit: Decimal;
      readonly deal: DealState;
      readonly dealCredit: DealCredit;
      readonly clawback: ClawbackStatus;
      readonly sources: readonly SourceRef[];
      readonly creditText: string;
    }
  | {
      readonly kind: "adjustment";
      readonly date: string;
      readonly key: string;
      readonly credit: Decimal;
      readonly adjustment: AdjustmentFact;
      readonly sources: readonly SourceRef[];
      readonly creditText: string;
    };

/** Business-time order: date, then deals before the adjustments dated that day, then id. */
export function compareItems(a: CreditItem, b: CreditItem): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  if (a.kind !== b.kind) return a.kind === "deal" ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function noPlanException(
  facts: Facts,
  builder: EarningsBuilder,
  date: string,
  through: number,
  what: string,
  sources: readonly SourceRef[],
  dealId?: string,
): void {
  const lookup = facts.planLookup(builder.repId, date, through);
  const options = {
    period: periodContaining(builder.calendar, "month", date).id,
    ...(dealId === undefined ? {} : { dealId }),
  };
  if (lookup.status === "unknown_plan_version") {
    builder.exception(
      "unknown_plan_version",
      `${what}: ${lookup.problem}`,
      [...sources, { eventId: lookup.assignment.eventId, position: lookup.assignment.position }],
      options,
    );
  } else if (lookup.status === "ok") {
    builder.exception(
      "no_plan_assignment",
      `${what}: dated ${date}, before ${builder.repId} was hired`,
      sources,
      options,
    );
  } else {
    builder.exception(
      "no_plan_assignment",
      `${what}: ${builder.repId} has no plan on ${date}`,
      sources,
      options,
    );
  }
}

/**
 * The deals of (rep, quota period), credited under the plan stretch they fall in. A deal belongs to the
 * quota period containing its business date under the rep's plan on that date (a month when there is no
 * usable plan, so its exception still lands on a statement). Deals that cannot be credited become
 * exceptions; deals cancelled inside a recompute clawback window are left out entirely.
 */
export function dealItems(
  facts: Facts,
  builder: EarningsBuilder,
  stretches: readonly PlanStretch[],
  through: number,
): Map<number, CreditItem[]> {
  const { period, calendar, repId } = builder;
  const byStretch = new Map<number, CreditItem[]>();
  for (const deal of facts.candidateDeals(repId, period.start, period.end, through)) {
    if (!deal.splits.some((s) => s.repId === repId)) continue;
    const date = toBusinessDate(calendar, deal.closeDate);
    if (date < period.start || date > period.end) continue;
    if (facts.homeQuotaPeriod(repId, date, through).id !== period.id) continue;
    const stretch = stretchOn(stretches, date);
    if (stretch === undefined) {
      noPlanException(facts, builder, date, through, `Deal ${deal.dealId}`, deal.sources, deal.dealId);
      continue;
    }
    const plan = stretch.plan;
    const result = creditDeal(deal, repId, plan, date, facts.fx, through);
    if (!result.ok) {
      builder.exception(result.code, result.message, result.sources, {
        period: builder.payoutPeriodOf(plan, date),
        dealId: deal.dealId,
      });
      continue;
    }
    const clawback = clawbackStatus(calendar, plan, deal, date);
    if (clawback.kind === "recompute") continue;
    const dealCredit = result.value;
    const sources = [
      ...deal.sources,
      ...(dealCredit.quote === undefined
        ? []
        : [{ eventId: dealCredit.quote.eventId, position: dealCredit.quote.position }]),
    ];
    const list = byStretch.get(stretch.index) ?? [];
    list.push({
      kind: "deal",
      date,
      key: deal.dealId,
      credit: dealCredit.credit,
      deal,
      dealCredit,
      clawback,
      sources,
      creditText: `Deal ${deal.dealId}: ${dealCredit.arithmetic} credit`,
    });
    byStretch.set(stretch.index, list);
  }
  return byStretch;
}

/**
 * Adjustments of the rep whose period ends in this quota period. Those counting toward quota become credit
 * items dated on the adjustment period's last day; the others are `adjustment` lines of their signed
 * amount, paid in the payout period containing that day (returned, to be added after the day's deal lines).
 * An adjustment must be in the plan currency.
 */
export function adjustmentItems(
  facts: Facts,
  builder: EarningsBuilder,
  stretches: readonly PlanStretch[],
  through: number,
  into: Map<number, CreditItem[]>,
): LineSpec[] {
  const direct: LineSpec[] = [];
  const { period, calendar, repId } = builder;
  for (const adjustment of facts.adjustmentsFor(repId, through)) {
    const date = parsePeriodId(calendar, adjustment.period).end;
    if (date < period.start || date > period.end) continue;
    if (facts.homeQuotaPeriod(repId, date, through).id !== period.id) continue;
    const what = `Adjustment ${adjustment.adjustmentId}`;
    const stretch = stretchOn(stretches, date);
    if (stretch === undefined) {
      noPlanException(facts, builder, date, through, what, [adjustment]);
      continue;
    }
    const plan = stretch.plan;
    if (adjustment.currency !== plan.currency) {
      builder.exception(
        "currency_mismatch",
        `${what} is in ${adjustment.currency} but plan ${plan.planId} pays in ${plan.currency}; record it in ${plan.currency}`,
        [adjustment],
        { period: builder.payoutPeriodOf(plan, date) },
      );
      continue;
    }
    if (!adjustment.countsTowardQuota) {
      direct.push({
        kind: "adjustment",
        amount: adjustment.amount,
        plan,
        sourceKey: `adj:${adjustment.adjustmentId}`,
        businessDate: date,
        sources: [adjustment, stretch.published, stretch.assignmentSource],
        inputs: {
          amount: adjustment.amount.toFixed(),
          period: adjustment.period,
          author: adjustment.author,
          countsTowardQuota: "false",
        },
        arithmetic: `${num(adjustment.amount)} as recorded`,
        explanation: `${what} by ${adjustment.author} for ${adjustment.period}: ${adjustment.reason}`,
      });
      continue;
    }
    const list = into.get(stretch.index) ?? [];
    list.push({
      kind: "adjustment",
      date,
      key: adjustment.adjustmentId,
      credit: adjustment.amount,
      adjustment,
      sources: [adjustment],
      creditText: `${what} (${adjustment.reason}, by ${adjustment.author}): ${num(adjustment.amount)} credit`,
    });
    into.set(stretch.index, list);
  }
  return direct;
}
