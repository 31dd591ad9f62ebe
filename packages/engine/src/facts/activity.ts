import { addDays, parsePeriodId, toBusinessDate } from "../calendar/index.js";
import type { Facts } from "./facts.js";
import type { AffectedQuotaPeriod, RecordedDomainEvent } from "./types.js";

// Which (rep, quota period) pairs have activity, and which a new fact may change: the questions the
// engine asks to recompute incrementally. Kept out of Facts so that Facts stays about storing facts.

function monthOf(rawDate: string): string {
  return rawDate.slice(0, 7);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Which (rep, quota period) pairs a just-applied event may change, sorted. See docs/earnings-decisions.md. */
export function affectedBy(facts: Facts, recorded: RecordedDomainEvent): AffectedQuotaPeriod[] {
  const { event, globalPosition: position } = recorded;
  const out = new Map<string, AffectedQuotaPeriod>();
  const add = (repId: string, quotaPeriod: string) =>
    out.set(`${repId}\u0000${quotaPeriod}`, { repId, quotaPeriod });
  const addDate = (repId: string, rawDate: string) => {
    const calendar = facts.calendar(position);
    const date = toBusinessDate(calendar, rawDate);
    for (const who of [repId, ...facts.everManagersOf(repId)]) {
      const home = facts.homeQuotaPeriod(who, date, position);
      add(who, home.id);
      // Year-to-date plans and yearly caps carry into the later quota periods of the fiscal year.
      if (planLooksBack(facts, who, date, position)) {
        for (const qp of quotaPeriodsWithActivity(facts, who, position, home.end)) {
          const later = parsePeriodId(calendar, qp);
          if (later.fiscalYear === home.fiscalYear && later.start > home.start) add(who, qp);
        }
      }
    }
  };
  const addAllOf = (repId: string, fromDate?: string) => {
    for (const qp of quotaPeriodsWithActivity(facts, repId, position, fromDate)) {
      if (fromDate === undefined || parsePeriodId(facts.calendar(position), qp).end >= fromDate)
        add(repId, qp);
    }
  };
  switch (event.type) {
    case "CalendarConfigured":
    case "PlanVersionPublished":
      for (const repId of facts.repIds()) addAllOf(repId);
      break;
    case "RepOnboarded":
    case "RepTerminated":
    case "PlanAssigned":
      addAllOf(event.data.repId);
      for (const manager of facts.everManagersOf(event.data.repId)) addAllOf(manager);
      break;
    case "RepManagerChanged":
      for (const manager of facts.everManagersOf(event.data.repId))
        addAllOf(manager, event.data.effectiveDate);
      break;
    case "QuotaSet":
    case "AdjustmentRecorded": {
      const calendar = facts.calendar(position);
      const end = parsePeriodId(calendar, event.data.period).end;
      add(event.data.repId, facts.homeQuotaPeriod(event.data.repId, end, position).id);
      addAllOf(event.data.repId, end);
      break;
    }
    case "DealClosed":
    case "DealAmended":
    case "DealCancelled":
    case "PaymentReceived": {
      const history = facts.dealHistory(event.data.dealId);
      // Every version of the deal up to now: an amendment moves credit away from the old rep/period too.
      for (const version of history?.allVersionsThrough(position) ?? []) {
        for (const split of version.splits) {
          addDate(split.repId, version.closeDate);
          if (version.cancellation !== undefined) addDate(split.repId, version.cancellation.cancelDate);
          if (event.type === "PaymentReceived") addDate(split.repId, event.data.receivedDate);
        }
      }
      break;
    }
    case "FxRatePublished":
      for (const repId of facts.repIds()) {
        if (
          facts.repDealsInCurrency(repId, event.data.base) ||
          facts.repDealsInCurrency(repId, event.data.quote)
        ) {
          addAllOf(repId, event.data.effectiveDate);
        }
      }
      break;
    case "DisputeRaised": {
      const end = parsePeriodId(facts.calendar(position), event.data.period).end;
      add(event.data.repId, facts.homeQuotaPeriod(event.data.repId, end, position).id);
      break;
    }
    case "DisputeResolved": {
      const dispute = facts.dispute(event.data.disputeId);
      if (dispute !== undefined) {
        const end = parsePeriodId(facts.calendar(position), dispute.period).end;
        add(dispute.repId, facts.homeQuotaPeriod(dispute.repId, end, position).id);
      }
      break;
    }
    case "PeriodClosed":
      break;
  }
  return [...out.values()].sort((a, b) =>
    a.repId === b.repId ? cmp(a.quotaPeriod, b.quotaPeriod) : cmp(a.repId, b.repId),
  );
}

/**
 * Quota periods of the rep with own deals (and cancellations), quotas or adjustments, as of the position
 * (a superset when fromDate is given), sorted. Overlays: see quotaPeriodsWithActivity.
 */
export function activeQuotaPeriodIds(
  facts: Facts,
  repId: string,
  throughPosition: number,
  fromDate?: string,
): string[] {
  const calendar = facts.calendar(throughPosition);
  const ids = new Set<string>();
  const fromMonth = fromDate === undefined ? undefined : monthOf(addDays(`${monthOf(fromDate)}-01`, -1));
  for (const deal of facts.allDealsOf(repId, throughPosition, fromMonth)) {
    if (!deal.splits.some((s) => s.repId === repId)) continue;
    ids.add(facts.homeQuotaPeriod(repId, toBusinessDate(calendar, deal.closeDate), throughPosition).id);
    if (deal.cancellation !== undefined) {
      ids.add(
        facts.homeQuotaPeriod(repId, toBusinessDate(calendar, deal.cancellation.cancelDate), throughPosition)
          .id,
      );
    }
  }
  for (const periodId of facts.quotaPeriodIds(repId, throughPosition)) ids.add(periodId);
  for (const adjustment of facts.adjustmentsFor(repId, throughPosition)) {
    const end = parsePeriodId(calendar, adjustment.period).end;
    ids.add(facts.homeQuotaPeriod(repId, end, throughPosition).id);
  }
  return [...ids].sort();
}

/**
 * Quota periods of the rep with any activity as of the position (optionally ending on or after
 * fromDate): own deals and cancellations, quotas, adjustments, and, while the rep's plan has an overlay
 * component, the periods of reports' deals. Sorted.
 */
export function quotaPeriodsWithActivity(
  facts: Facts,
  repId: string,
  throughPosition: number,
  fromDate?: string,
): string[] {
  if (throughPosition >= facts.lastPosition) return latestQuotaPeriodsWithActivity(facts, repId, fromDate);
  return scanQuotaPeriodsWithActivity(facts, repId, throughPosition, fromDate);
}

/**
 * quotaPeriodsWithActivity at the latest position, from the deal-activity index Facts keeps up to date
 * (the hot path: affectedBy asks it for every rep and manager of every deal event). Same answer as the scan,
 * which activity.unit.spec.ts checks event by event on generated histories.
 */
function latestQuotaPeriodsWithActivity(facts: Facts, repId: string, fromDate?: string): string[] {
  const calendar = facts.calendar();
  const fromMonth = fromDate === undefined ? undefined : monthOf(addDays(`${monthOf(fromDate)}-01`, -1));
  const ids = new Set(facts.latestDealQuotaPeriods(repId, fromMonth));
  for (const periodId of facts.quotaPeriodIds(repId)) ids.add(periodId);
  for (const adjustment of facts.adjustmentsFor(repId)) {
    const end = parsePeriodId(calendar, adjustment.period).end;
    ids.add(facts.homeQuotaPeriod(repId, end).id);
  }
  if (fromDate === undefined) return [...ids].sort();
  return [...ids].filter((id) => parsePeriodId(calendar, id).end >= fromDate).sort();
}

/** quotaPeriodsWithActivity by scanning every deal of the rep and their reports: any position. */
function scanQuotaPeriodsWithActivity(
  facts: Facts,
  repId: string,
  throughPosition: number,
  fromDate?: string,
): string[] {
  const ids = new Set(activeQuotaPeriodIds(facts, repId, throughPosition, fromDate));
  if (facts.hasEverHadReports(repId)) {
    const calendar = facts.calendar(throughPosition);
    const fromMonth = fromDate === undefined ? undefined : monthOf(addDays(`${monthOf(fromDate)}-01`, -1));
    for (const reportId of facts.everReportsOf(repId)) {
      for (const deal of facts.allDealsOf(reportId, throughPosition, fromMonth)) {
        if (!deal.splits.some((s) => s.repId === reportId)) continue;
        const date = toBusinessDate(calendar, deal.closeDate);
        const plan = facts.planFor(repId, date, throughPosition);
        if (plan === undefined || !plan.compiled.components.some((c) => c.kind === "overlay")) continue;
        ids.add(facts.homeQuotaPeriod(repId, date, throughPosition).id);
      }
    }
  }
  if (fromDate === undefined) return [...ids].sort();
  const calendar = facts.calendar(throughPosition);
  return [...ids].filter((id) => parsePeriodId(calendar, id).end >= fromDate).sort();
}

/** Whether the rep's plan on the date looks back over the fiscal year (year-to-date, or a yearly cap). */
function planLooksBack(facts: Facts, repId: string, date: string, throughPosition: number): boolean {
  const plan = facts.planFor(repId, date, throughPosition)?.compiled;
  if (plan === undefined) return false;
  return (
    plan.cumulative === "ytd" ||
    plan.components.some((c) => "earningsCap" in c && c.earningsCap?.perYear !== undefined)
  );
}
