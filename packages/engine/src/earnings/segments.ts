import type { Decimal } from "@icm/events";
import { maxDate, type Period } from "../calendar/index.js";
import type { Assignment } from "../crediting/index.js";
import { prorateQuota } from "../crediting/index.js";
import type { CompiledPlan, Facts, QuotaFact, RepInfo, SourceRef } from "../facts/index.js";
import type { EarningsBuilder } from "./builder.js";

/** A stretch of the quota period under one plan version, with its own (prorated) quota and running attainment. */
export interface PlanStretch {
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly plan: CompiledPlan;
  readonly assignment: Assignment;
  readonly published: SourceRef;
  readonly assignmentSource: SourceRef;
  /** Prorated by calendar days under this plan; undefined when the quota is missing, zero or in another currency. */
  readonly quota: Decimal | undefined;
  readonly quotaFact: QuotaFact | undefined;
}

/**
 * The plan stretches of a quota period for a rep: assignments in force, clipped to the period and to the
 * hire date, keeping those whose plan measures quota over this kind of period. Each gets the period quota
 * prorated by its calendar days (a mid-period hire or plan change); a missing or zero quota, or one in
 * another currency than the plan, leaves it without one (see quotaExceptions).
 */
export function planStretches(
  facts: Facts,
  rep: RepInfo,
  period: Period,
  throughPosition: number,
): PlanStretch[] {
  const quotaFact = facts.quota(rep.repId, period.id, throughPosition);
  const stretches: PlanStretch[] = [];
  for (const segment of facts.planSegments(rep.repId, period.start, period.end, throughPosition)) {
    if (segment.lookup.status !== "ok") continue;
    const plan = segment.lookup.compiled;
    if (plan.quotaPeriod !== period.kind) continue;
    const from = maxDate(segment.from, rep.hireDate);
    if (from > segment.to) continue;
    let quota: Decimal | undefined;
    if (
      quotaFact?.currency === plan.currency &&
      quotaFact.amount.isPositive() &&
      !quotaFact.amount.isZero()
    ) {
      quota = prorateQuota(quotaFact.amount, period, from, segment.to);
    }
    stretches.push({
      index: stretches.length,
      from,
      to: segment.to,
      plan,
      assignment: segment.lookup.assignment,
      published: segment.lookup.published,
      assignmentSource: {
        eventId: segment.lookup.assignment.eventId,
        position: segment.lookup.assignment.position,
      },
      quota,
      quotaFact,
    });
  }
  return stretches;
}

/**
 * A stretch with credit but no usable quota cannot rate attainment: `missing_quota` (and `currency_mismatch`
 * when the quota is in another currency than the plan). A stretch without credit needs no quota, so an idle
 * period is not an exception.
 */
export function quotaExceptions(stretch: PlanStretch, hasCredit: boolean, builder: EarningsBuilder): void {
  const { plan, quotaFact } = stretch;
  const needsQuota = plan.components.some((c) => c.kind === "rate_table" || c.kind === "bonus");
  if (stretch.quota !== undefined || !needsQuota || !hasCredit) return;
  const period = builder.period.id;
  if (quotaFact !== undefined && quotaFact.currency !== plan.currency) {
    builder.exception(
      "currency_mismatch",
      `Quota for ${period} is in ${quotaFact.currency} but plan ${plan.planId} pays in ${plan.currency}`,
      [quotaFact],
      { period },
    );
  }
  builder.exception(
    "missing_quota",
    quotaFact === undefined
      ? `No quota set for ${period}: credit counts, but attainment-based components pay nothing until it is`
      : `Quota for ${period} is not usable (zero or another currency): attainment-based components pay nothing`,
    quotaFact === undefined ? [] : [quotaFact],
    { period },
  );
}

export function stretchOn(stretches: readonly PlanStretch[], date: string): PlanStretch | undefined {
  return stretches.find((s) => s.from <= date && date <= s.to);
}
