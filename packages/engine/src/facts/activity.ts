import {
  addDays,
  type CompanyCalendar,
  type Period,
  parsePeriodId,
  periodContaining,
  toBusinessDate,
} from "../calendar/index.js";
import type { CompiledPlan } from "./compiled-plan.js";
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
  const byRep = affectedByRep(facts, recorded);
  const out: AffectedQuotaPeriod[] = [];
  for (const repId of [...byRep.keys()].sort(cmp)) {
    for (const quotaPeriod of byRep.get(repId) as readonly string[]) out.push({ repId, quotaPeriod });
  }
  return out;
}

/** Plans whose earnings look back over the fiscal year, per compiled plan (compiled plans never change). */
const looksBackByPlan = new WeakMap<CompiledPlan, boolean>();

function compiledLooksBack(plan: CompiledPlan): boolean {
  let known = looksBackByPlan.get(plan);
  if (known === undefined) {
    known =
      plan.cumulative === "ytd" ||
      plan.components.some((c) => "earningsCap" in c && c.earningsCap?.perYear !== undefined);
    looksBackByPlan.set(plan, known);
  }
  return known;
}

/**
 * affectedBy grouped by rep: rep → its quota periods, sorted (the reps themselves in no particular order).
 * The engine's hot path: it files the periods per rep without building and sorting one object per pair.
 */
export function affectedByRep(facts: Facts, recorded: RecordedDomainEvent): Map<string, string[]> {
  const { event, globalPosition: position } = recorded;
  // A rep has a few periods at most per event: a list with `includes` costs less than a Set.
  const out = new Map<string, string[]>();
  const add = (repId: string, quotaPeriod: string) => {
    const list = out.get(repId);
    if (list === undefined) out.set(repId, [quotaPeriod]);
    else if (!list.includes(quotaPeriod)) list.push(quotaPeriod);
  };
  // (rep, raw date) pairs already added: every version of a deal names the same reps and dates as a rule, and
  // the latest state repeats the last version, so most calls would redo the same work for the same pairs.
  const doneDates: string[] = [];
  const addDate = (repId: string, rawDate: string) => {
    for (let i = 0; i < doneDates.length; i += 2) {
      if (doneDates[i] === repId && doneDates[i + 1] === rawDate) return;
    }
    doneDates.push(repId, rawDate);
    const calendar = facts.calendar(position);
    const date = toBusinessDate(calendar, rawDate);
    addDateOf(facts, calendar, repId, date, position, add);
    for (const manager of facts.managerChain(repId)) addDateOf(facts, calendar, manager, date, position, add);
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
      for (const manager of facts.managerChain(event.data.repId)) addAllOf(manager);
      break;
    case "RepManagerChanged":
      for (const manager of facts.managerChain(event.data.repId)) addAllOf(manager, event.data.effectiveDate);
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
  for (const periods of out.values()) if (periods.length > 1) periods.sort(cmp);
  return out;
}

/**
 * The quota period a business date of `who` falls in and, when the plan on that date looks back over the
 * fiscal year (year-to-date, yearly cap), the later quota periods of that fiscal year with activity.
 */
function addDateOf(
  facts: Facts,
  calendar: CompanyCalendar,
  who: string,
  date: string,
  position: number,
  add: (repId: string, quotaPeriod: string) => void,
): void {
  // One plan lookup for both questions (homeQuotaPeriod and whether the plan looks back).
  const lookup = facts.planLookup(who, date, position);
  const plan = lookup.status === "ok" ? lookup.compiled : undefined;
  const home = periodContaining(calendar, plan?.quotaPeriod ?? "month", date);
  add(who, home.id);
  if (plan === undefined || !compiledLooksBack(plan)) return;
  const later = (qp: string, period: Period) => {
    if (period.fiscalYear === home.fiscalYear && period.start > home.start) add(who, qp);
  };
  if (position >= facts.lastPosition) {
    // Same periods as quotaPeriodsWithActivity(who, position, home.end), unsorted: `add` dedupes and sorts.
    latestActivePeriods(facts, calendar, who, home.end, later);
  } else {
    for (const qp of quotaPeriodsWithActivity(facts, who, position, home.end))
      later(qp, parsePeriodId(calendar, qp));
  }
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
  const ids = new Set<string>();
  latestActivePeriods(facts, facts.calendar(), repId, fromDate, (id) => ids.add(id));
  return [...ids].sort();
}

/** The months just before a date's month: `fromMonth` of the allDealsOf filter. Few distinct dates: memoized. */
const monthBeforeOf = new Map<string, string>();
const MAX_MONTHS_BEFORE = 10_000;

function monthBefore(fromDate: string): string {
  let month = monthBeforeOf.get(fromDate);
  if (month === undefined) {
    month = monthOf(addDays(`${monthOf(fromDate)}-01`, -1));
    if (monthBeforeOf.size >= MAX_MONTHS_BEFORE) monthBeforeOf.clear();
    monthBeforeOf.set(fromDate, month);
  }
  return month;
}

/**
 * Visits the quota periods of latestQuotaPeriodsWithActivity, unsorted and possibly more than once each (the
 * caller dedupes): deal periods from the activity index, quota periods, adjustment periods; with fromDate
 * only those ending on or after it.
 */
function latestActivePeriods(
  facts: Facts,
  calendar: CompanyCalendar,
  repId: string,
  fromDate: string | undefined,
  visit: (quotaPeriodId: string, period: Period) => void,
): void {
  const keep = (id: string) => {
    const period = parsePeriodId(calendar, id);
    if (fromDate === undefined || period.end >= fromDate) visit(id, period);
  };
  for (const id of facts.latestDealQuotaPeriods(
    repId,
    fromDate === undefined ? undefined : monthBefore(fromDate),
  ))
    keep(id);
  for (const periodId of facts.latestQuotaPeriodIds(repId)) keep(periodId);
  for (const adjustment of facts.latestAdjustments(repId)) {
    const end = parsePeriodId(calendar, adjustment.period).end;
    keep(facts.homeQuotaPeriod(repId, end).id);
  }
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
