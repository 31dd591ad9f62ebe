import { keptDecimal } from "@icm/events";
import {
  addDays,
  type CompanyCalendar,
  DEFAULT_CALENDAR,
  type Period,
  type PeriodKind,
  parsePeriodId,
  periodContaining,
} from "../calendar/index.js";
import { type Assignment, FxRates, ManagerHierarchy, PlanAssignments } from "../crediting/index.js";
import { parsePlanDefinition } from "../plan/index.js";
import type { PlanVersion } from "../plan/types.js";
import { affectedBy, affectedByRep, quotaPeriodsWithActivity } from "./activity.js";
import { ActivityIndex } from "./activity-index.js";
import { type CompiledPlan, compilePlan } from "./compiled-plan.js";
import { DealHistory } from "./deals.js";
import { monthKey, type RepRevisions, Revisions } from "./revisions.js";
import type {
  AdjustmentFact,
  AffectedQuotaPeriod,
  CloseFact,
  DealState,
  DisputeFact,
  PaymentFact,
  QuotaFact,
  RecordedDomainEvent,
  RepInfo,
  SourceRef,
} from "./types.js";

/** A published plan version, or why it cannot be used. */
export type PublishedPlan =
  | {
      readonly ok: true;
      readonly plan: PlanVersion;
      readonly compiled: CompiledPlan;
      readonly source: SourceRef;
    }
  | {
      readonly ok: false;
      readonly planId: string;
      readonly version: number;
      readonly problem: string;
      readonly source: SourceRef;
    };

/** The plan in force for a rep on a date: found, or the reason it is not. */
export type PlanLookup =
  | {
      readonly status: "ok";
      readonly assignment: Assignment;
      readonly plan: PlanVersion;
      readonly compiled: CompiledPlan;
      readonly published: SourceRef;
    }
  | { readonly status: "no_plan_assignment" }
  | { readonly status: "unknown_plan_version"; readonly assignment: Assignment; readonly problem: string };

/** A stretch of a rep's latest assignment timeline with its plan resolved (`to` null = open-ended). */
interface LatestSegment {
  readonly from: string;
  readonly to: string | null;
  readonly lookup: PlanLookup;
}

export interface PlanSegment {
  readonly from: string;
  readonly to: string;
  readonly lookup: PlanLookup & { readonly status: "ok" | "unknown_plan_version" };
}

const END_OF_LOG = Number.MAX_SAFE_INTEGER;
const NO_IDS: readonly string[] = Object.freeze([]);
const NO_ADJUSTMENTS: readonly AdjustmentFact[] = Object.freeze([]);
/** Whether a compiled plan has an overlay component (compiled plans never change). */
const hasOverlayByPlan = new WeakMap<CompiledPlan, boolean>();

function hasOverlay(plan: CompiledPlan): boolean {
  let known = hasOverlayByPlan.get(plan);
  if (known === undefined) {
    known = plan.components.some((c) => c.kind === "overlay");
    hasOverlayByPlan.set(plan, known);
  }
  return known;
}
/** Memoized latest plan timelines (one per rep) are dropped wholesale past this many (bounded memory). */
const MAX_LATEST_TIMELINES = 100_000;
const NO_PLAN_ASSIGNMENT: PlanLookup = Object.freeze({ status: "no_plan_assignment" });
/** Management chains are short; the bound stops a cycle in bad hierarchy data from looping. */
const MAX_CHAIN_DEPTH = 64;
/** Memoized ever-manager / ever-report closures are dropped wholesale past this many (bounded memory). */
const MAX_CLOSURES = 100_000;

function monthOf(rawDate: string): string {
  return rawDate.slice(0, 7);
}

/**
 * The deals' states as of the position, sorted by deal id (UTF-16 order, as a plain sort of the ids), each
 * deal once (a deal under two months of a rep is listed twice), without the deals not yet closed there.
 */
function statesByDealId(histories: DealHistory[], throughPosition: number): DealState[] {
  histories.sort((a, b) => (a.dealId < b.dealId ? -1 : a.dealId > b.dealId ? 1 : 0));
  const states: DealState[] = [];
  for (let i = 0; i < histories.length; i += 1) {
    const history = histories[i] as DealHistory;
    if (i > 0 && history === histories[i - 1]) continue;
    const state = history.stateAt(throughPosition);
    if (state !== undefined) states.push(state);
  }
  return states;
}

function lastAt<T extends { readonly position: number }>(
  list: readonly T[] | undefined,
  through: number,
): T | undefined {
  if (list === undefined) return undefined;
  for (let i = list.length - 1; i >= 0; i -= 1) {
    const item = list[i] as T;
    if (item.position <= through) return item;
  }
  return undefined;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The sorted list with the value inserted in order: the same list when it is already there. */
function withSorted(sorted: readonly string[], value: string): readonly string[] {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < value) low = middle + 1;
    else high = middle;
  }
  if (sorted[low] === value) return sorted;
  const out = sorted.slice(0, low);
  out.push(value);
  for (let i = low; i < sorted.length; i += 1) out.push(sorted[i] as string);
  return out;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}

/**
 * Everything the engine knows, indexed for the questions the calculation asks: per rep and month of
 * business time, per deal, per plan version. Built by applying recorded events in log order; every
 * question takes `throughPosition` (inclusive) and ignores facts recorded after it, so "as of position P"
 * and the period-close freeze read the same structure. Indexes only ever grow (an amended deal stays
 * indexed under its old reps and months too), so an as-of query finds old versions; the query then
 * resolves each candidate as of the position and filters.
 */
export class Facts {
  private readonly seenEventIds = new Set<string>();
  private last = -1;
  private readonly calendars: { readonly calendar: CompanyCalendar; readonly position: number }[] = [];
  private readonly repsById = new Map<string, (Omit<RepInfo, "terminationDate"> & { position: number })[]>();
  private readonly terminations = new Map<string, { date: string; position: number }[]>();
  private readonly knownRepIds = new Set<string>();
  private sortedRepIds: string[] | undefined;
  private readonly plans = new Map<string, PublishedPlan>();
  readonly assignments = new PlanAssignments();
  readonly hierarchy = new ManagerHierarchy();
  readonly fx = new FxRates();
  /** The facts behind the hierarchy (for traces): per rep, in log order. */
  private readonly managerFacts = new Map<string, (SourceRef & { effectiveDate: string })[]>();
  private readonly everManagers = new Map<string, Set<string>>();
  private readonly everReports = new Map<string, Set<string>>();
  private readonly quotas = new Map<string, Map<string, QuotaFact[]>>();
  private readonly deals = new Map<string, DealHistory>();
  /**
   * rep → month of the raw close date → the deals ever credited to that rep in that month. It holds the
   * deals' histories, not their ids: a statement reads every candidate deal, and looking each id up again in
   * `deals` (a million entries at the default size) was a cache miss per deal per (manager, report) pair.
   */
  private readonly dealIndex = new Map<string, Map<string, Set<DealHistory>>>();
  /** Deals that, when applied, named a rep not yet onboarded: checked as of a position by unknownRepDeals. */
  private readonly dealsNamingUnknownReps = new Set<string>();
  private readonly orphanDealIds = new Set<string>();
  private readonly payments = new Map<string, PaymentFact[]>();
  private readonly adjustments = new Map<string, AdjustmentFact[]>();
  private readonly closeFacts: CloseFact[] = [];
  private readonly disputes = new Map<string, { raised: DisputeFact; resolved: SourceRef[] }>();
  private readonly disputesByRep = new Map<string, string[]>();
  private readonly revisions = new Revisions();
  /**
   * Each rep's assignment timeline as of the latest position with every segment's plan resolved: a latest
   * plan lookup is a binary search over a few segments. The answer depends only on the rep's assignments
   * and the published plans, so it is dropped whenever either changes (per rep for an assignment); replay
   * asks for every deal of a rep and of the reps they manage, on dates too many to memoize one by one.
   */
  private readonly latestTimelines = new Map<string, readonly LatestSegment[]>();
  /**
   * everManagersOf / everReportsOf closures (sorted, shared: never handed out without a copy). They only
   * change when a manager link is added, which clears them; replay asks for them on every deal event.
   */
  private readonly managerClosures = new Map<string, readonly string[]>();
  /**
   * rep → the revision records of the rep and of every manager above (its managerClosure, by identity: a
   * rebuilt closure is a new array), so that a deal event touches them without a lookup per manager.
   */
  private readonly touchGroups = new Map<
    string,
    { readonly closure: readonly string[]; readonly records: readonly RepRevisions[] }
  >();
  /** By depth bound, then manager (almost always the one depth MAX_CHAIN_DEPTH). */
  private readonly reportClosures = new Map<number, Map<string, readonly string[]>>();
  /** Quota periods with deal activity per rep at the latest position, kept up to date in apply. */
  private readonly activity = new ActivityIndex({
    calendar: () => this.calendar(),
    homeQuotaPeriod: (repId, date) => this.homeQuotaPeriod(repId, date),
    // One plan lookup for "has an overlay?" and the home quota period (homeQuotaPeriod's own answer).
    overlayQuotaPeriod: (managerId, date) => {
      const lookup = this.planLookup(managerId, date);
      if (lookup.status !== "ok" || !hasOverlay(lookup.compiled)) return undefined;
      return periodContaining(this.calendar(), lookup.compiled.quotaPeriod, date);
    },
    everManagers: (repId) => this.managerClosure(repId),
    everReports: (repId) => this.reportClosure(repId, MAX_CHAIN_DEPTH),
    hasEverHadReports: (repId) => this.hasEverHadReports(repId),
  });

  get lastPosition(): number {
    return this.last;
  }

  /** Applies one recorded event. Idempotent by eventId; a new event must come after the last position. */
  apply(recorded: RecordedDomainEvent): void {
    const { globalPosition: position, event } = recorded;
    // One hash lookup for "seen before?" and "remember it": a rejected event is forgotten again.
    const seen = this.seenEventIds.size;
    this.seenEventIds.add(event.eventId);
    if (this.seenEventIds.size === seen) return;
    if (!Number.isSafeInteger(position) || position <= this.last) {
      this.seenEventIds.delete(event.eventId);
      throw new RangeError(`event ${event.eventId}: position ${position} must be after ${this.last}`);
    }
    this.last = position;
    // Facts kept per event are literals that name eventId and position, never `{ ...source, ... }`: V8 gave
    // every object built by that spread a hidden class (and a property store) of its own, ~300 bytes more per
    // payment, quota and cancellation (a heap snapshot at 1,000 reps counted 33,000 single-use classes).
    const source: SourceRef = { eventId: event.eventId, position };
    switch (event.type) {
      case "CalendarConfigured": {
        const calendar = {
          timeZone: event.data.timeZone,
          fiscalYearStartMonth: event.data.fiscalYearStartMonth,
        };
        this.calendars.push({ calendar, position });
        this.activity.invalidateAll();
        this.revisions.touchAll(position);
        break;
      }
      case "RepOnboarded": {
        const d = event.data;
        pushTo(this.repsById, d.repId, {
          repId: d.repId,
          name: d.name,
          planCurrency: d.planCurrency,
          hireDate: d.hireDate,
          source,
          position,
        });
        this.noteRep(d.repId);
        if (d.managerId !== undefined) this.setManager(d.repId, d.managerId, d.hireDate, source);
        this.revisions.touchRep(d.repId, position);
        break;
      }
      case "RepManagerChanged":
        this.setManager(event.data.repId, event.data.managerId, event.data.effectiveDate, source);
        break;
      case "RepTerminated":
        pushTo(this.terminations, event.data.repId, { date: event.data.terminationDate, position });
        this.revisions.touchRep(event.data.repId, position);
        break;
      case "PlanVersionPublished": {
        const d = event.data;
        const key = `${d.planId}@${d.version}`;
        // Published plans are immutable: a second publication of the same version is ignored.
        if (this.plans.has(key)) break;
        const parsed = parsePlanDefinition(d.definition);
        if (parsed.ok) {
          const plan: PlanVersion = {
            planId: d.planId,
            version: d.version,
            name: d.name,
            definition: parsed.value,
          };
          this.plans.set(key, { ok: true, plan, compiled: compilePlan(plan), source });
        } else {
          const problem = parsed.issues.map((i) => `${i.path}: ${i.rule}`).join("; ");
          this.plans.set(key, { ok: false, planId: d.planId, version: d.version, problem, source });
        }
        this.latestTimelines.clear();
        this.activity.invalidateAll();
        this.revisions.touchAll(position);
        break;
      }
      case "PlanAssigned": {
        const d = event.data;
        this.assignments.assign({
          repId: d.repId,
          planId: d.planId,
          version: d.version,
          effectiveFrom: d.effectiveFrom,
          effectiveTo: d.effectiveTo ?? null,
          position,
          eventId: event.eventId,
        });
        this.latestTimelines.delete(d.repId);
        this.activity.invalidate(d.repId);
        this.revisions.touchRep(d.repId, position);
        this.touchManagersOf(d.repId, undefined, position);
        break;
      }
      case "QuotaSet": {
        const d = event.data;
        let byPeriod = this.quotas.get(d.repId);
        if (byPeriod === undefined) {
          byPeriod = new Map();
          this.quotas.set(d.repId, byPeriod);
        }
        pushTo(byPeriod, d.period, {
          eventId: source.eventId,
          position: source.position,
          repId: d.repId,
          period: d.period,
          amount: keptDecimal(d.amount),
          currency: d.currency,
        });
        this.touchPeriodId(d.repId, d.period, position);
        break;
      }
      case "DealClosed":
      case "DealAmended":
      case "DealCancelled": {
        const dealId = event.data.dealId;
        let history = this.deals.get(dealId);
        if (history === undefined) {
          history = new DealHistory(dealId);
          this.deals.set(dealId, history);
        }
        if (event.type === "DealClosed") history.addClosed(event.data, source);
        else if (event.type === "DealAmended") history.addAmended(event.data, source);
        else history.addCancelled(event.data, source);
        if (history.firstClosedPosition() === undefined) this.orphanDealIds.add(dealId);
        this.indexDeal(history, event.type === "DealCancelled" ? event.data.cancelDate : undefined, position);
        break;
      }
      case "PaymentReceived": {
        const d = event.data;
        pushTo(this.payments, d.dealId, {
          eventId: source.eventId,
          position: source.position,
          paymentId: d.paymentId,
          dealId: d.dealId,
          amount: keptDecimal(d.amount),
          currency: d.currency,
          receivedDate: d.receivedDate,
        });
        const history = this.deals.get(d.dealId);
        const state = history?.stateAt(position);
        if (history === undefined || state === undefined) this.orphanDealIds.add(d.dealId);
        else this.touchDeal(history, state.currency, d.receivedDate, position);
        break;
      }
      case "FxRatePublished": {
        const d = event.data;
        this.fx.publish(d.base, d.quote, keptDecimal(d.rate), d.effectiveDate, event.eventId, position);
        this.revisions.touchCurrency(d.base, monthOf(d.effectiveDate), position);
        this.revisions.touchCurrency(d.quote, monthOf(d.effectiveDate), position);
        break;
      }
      case "AdjustmentRecorded": {
        const d = event.data;
        pushTo(this.adjustments, d.repId, {
          eventId: source.eventId,
          position: source.position,
          adjustmentId: d.adjustmentId,
          repId: d.repId,
          period: d.period,
          amount: keptDecimal(d.amount),
          currency: d.currency,
          reason: d.reason,
          author: d.author,
          countsTowardQuota: d.countsTowardQuota,
        });
        this.touchPeriodId(d.repId, d.period, position);
        break;
      }
      case "DisputeRaised": {
        const d = event.data;
        if (this.disputes.has(d.disputeId)) break;
        const raised: DisputeFact = {
          ...source,
          disputeId: d.disputeId,
          repId: d.repId,
          period: d.period,
          ...(d.dealId === undefined ? {} : { dealId: d.dealId }),
        };
        this.disputes.set(d.disputeId, { raised, resolved: [] });
        pushTo(this.disputesByRep, d.repId, d.disputeId);
        this.revisions.touchRep(d.repId, position);
        break;
      }
      case "DisputeResolved": {
        const dispute = this.disputes.get(event.data.disputeId);
        if (dispute !== undefined) {
          dispute.resolved.push(source);
          this.revisions.touchRep(dispute.raised.repId, position);
        }
        break;
      }
      case "PeriodClosed":
        this.closeFacts.push({
          eventId: source.eventId,
          position: source.position,
          period: event.data.period,
          throughPosition: event.data.throughPosition,
          data: event.data,
        });
        break;
    }
  }

  /** The latest CalendarConfigured recorded through the position, else DEFAULT_CALENDAR (UTC, January). */
  calendar(throughPosition: number = END_OF_LOG): CompanyCalendar {
    return lastAt(this.calendars, throughPosition)?.calendar ?? DEFAULT_CALENDAR;
  }

  /** Was the rep seen in RepOnboarded or in any split? (A set lookup: `repIds().includes` scans them all.) */
  isKnownRep(repId: string): boolean {
    return this.knownRepIds.has(repId);
  }

  /** Every rep seen in RepOnboarded or in any split, sorted. */
  repIds(): readonly string[] {
    if (this.sortedRepIds === undefined) this.sortedRepIds = [...this.knownRepIds].sort();
    return this.sortedRepIds;
  }

  rep(repId: string, throughPosition: number = END_OF_LOG): RepInfo | undefined {
    const onboarded = lastAt(this.repsById.get(repId), throughPosition);
    if (onboarded === undefined) return undefined;
    const termination = lastAt(this.terminations.get(repId), throughPosition);
    return {
      repId: onboarded.repId,
      name: onboarded.name,
      planCurrency: onboarded.planCurrency,
      hireDate: onboarded.hireDate,
      source: onboarded.source,
      ...(termination === undefined ? {} : { terminationDate: termination.date }),
    };
  }

  /** A published plan version as recorded through the position (valid or not). */
  publishedPlan(
    planId: string,
    version: number,
    throughPosition: number = END_OF_LOG,
  ): PublishedPlan | undefined {
    const found = this.plans.get(`${planId}@${version}`);
    return found !== undefined && found.source.position <= throughPosition ? found : undefined;
  }

  /** The plan assignment in force for a rep on a business date and its published version, or why not. */
  planLookup(repId: string, date: string, throughPosition: number = END_OF_LOG): PlanLookup {
    // Only the latest view is memoized: an as-of query must not see assignments recorded after it.
    if (throughPosition < this.last) return this.lookupUncached(repId, date, throughPosition);
    let timeline = this.latestTimelines.get(repId);
    if (timeline === undefined) {
      timeline = this.assignments.timelineOf(repId).map((segment) => ({
        from: segment.from,
        to: segment.to,
        lookup: this.resolveAssignment(segment.assignment, throughPosition),
      }));
      if (this.latestTimelines.size >= MAX_LATEST_TIMELINES) this.latestTimelines.clear();
      this.latestTimelines.set(repId, timeline);
    }
    // The last segment starting on or before the date (segments are sorted by start and do not overlap).
    let low = 0;
    let high = timeline.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((timeline[middle] as LatestSegment).from <= date) low = middle + 1;
      else high = middle;
    }
    const segment = timeline[low - 1];
    if (segment === undefined || (segment.to !== null && segment.to < date)) return NO_PLAN_ASSIGNMENT;
    return segment.lookup;
  }

  private lookupUncached(repId: string, date: string, throughPosition: number): PlanLookup {
    const assignment = this.assignments.planOn(repId, date, throughPosition);
    if (assignment === undefined) return NO_PLAN_ASSIGNMENT;
    return this.resolveAssignment(assignment, throughPosition);
  }

  planFor(
    repId: string,
    date: string,
    throughPosition: number = END_OF_LOG,
  ): { assignment: Assignment; plan: PlanVersion; compiled: CompiledPlan; published: SourceRef } | undefined {
    const lookup = this.planLookup(repId, date, throughPosition);
    return lookup.status === "ok" ? lookup : undefined;
  }

  /** The plan segments covering [from, to] for a rep (gaps have no plan), in date order. */
  planSegments(repId: string, from: string, to: string, throughPosition: number = END_OF_LOG): PlanSegment[] {
    return this.assignments.segments(repId, from, to, throughPosition).map((segment) => ({
      from: segment.from,
      to: segment.to,
      lookup: this.resolveAssignment(segment.assignment, throughPosition),
    }));
  }

  private resolveAssignment(
    assignment: Assignment,
    throughPosition: number,
  ): PlanLookup & { status: "ok" | "unknown_plan_version" } {
    const published = this.publishedPlan(assignment.planId, assignment.version, throughPosition);
    if (published === undefined) {
      return {
        status: "unknown_plan_version",
        assignment,
        problem: `plan ${assignment.planId} v${assignment.version} is not published`,
      };
    }
    if (!published.ok) {
      return {
        status: "unknown_plan_version",
        assignment,
        problem: `plan ${assignment.planId} v${assignment.version} is invalid: ${published.problem}`,
      };
    }
    return {
      status: "ok",
      assignment,
      plan: published.plan,
      compiled: published.compiled,
      published: published.source,
    };
  }

  /**
   * The quota period a business date of a rep belongs to: of the kind of the rep's plan on that date, or a
   * month when there is no usable plan (so the resulting exception lands in a period a statement shows).
   */
  homeQuotaPeriod(repId: string, businessDate: string, throughPosition: number = END_OF_LOG): Period {
    const lookup = this.planLookup(repId, businessDate, throughPosition);
    const kind: PeriodKind = lookup.status === "ok" ? lookup.compiled.quotaPeriod : "month";
    return periodContaining(this.calendar(throughPosition), kind, businessDate);
  }

  /** The latest QuotaSet for (rep, period id) recorded through the position. */
  quota(repId: string, periodId: string, throughPosition: number = END_OF_LOG): QuotaFact | undefined {
    return lastAt(this.quotas.get(repId)?.get(periodId), throughPosition);
  }

  /** Period ids a rep has any QuotaSet for (through the position), sorted. */
  quotaPeriodIds(repId: string, throughPosition: number = END_OF_LOG): string[] {
    const byPeriod = this.quotas.get(repId);
    if (byPeriod === undefined) return [];
    return [...byPeriod.entries()]
      .filter(([, list]) => lastAt(list, throughPosition) !== undefined)
      .map(([id]) => id)
      .sort();
  }

  /** A deal as it stood at the position (undefined before its DealClosed). */
  deal(dealId: string, throughPosition: number = END_OF_LOG): DealState | undefined {
    return this.deals.get(dealId)?.stateAt(throughPosition);
  }

  /**
   * Deals that may credit `repId` with a business date in [from, to], resolved as of the position and sorted
   * by deal id. Callers still check the business date and splits: the index is by raw close-date month and
   * over-approximates (±1 month covers any time-zone shift of an instant).
   */
  candidateDeals(repId: string, from: string, to: string, throughPosition: number = END_OF_LOG): DealState[] {
    const byMonth = this.dealIndex.get(repId);
    if (byMonth === undefined) return [];
    // A list sorted with its duplicates dropped after, not a Set: a deal is under two months of a rep only
    // when an amendment moved its close date, and this runs for every (manager, report) pair of a statement.
    const histories: DealHistory[] = [];
    const firstMonth = monthOf(addDays(`${from.slice(0, 7)}-01`, -1));
    const lastMonth = monthOf(addDays(`${to.slice(0, 7)}-28`, 7));
    if (byMonth.size <= 36) {
      for (const [month, deals] of byMonth)
        if (month >= firstMonth && month <= lastMonth) for (const deal of deals) histories.push(deal);
    } else {
      for (let month = firstMonth; month <= lastMonth; month = monthOf(addDays(`${month}-28`, 7))) {
        for (const deal of byMonth.get(month) ?? []) histories.push(deal);
      }
    }
    return statesByDealId(histories, throughPosition);
  }

  /** Reps who ever reported to the manager, at any depth (bounded), sorted. */
  everReportsOf(managerId: string, maxDepth: number = MAX_CHAIN_DEPTH): string[] {
    return [...this.reportClosure(managerId, maxDepth)];
  }

  private reportClosure(managerId: string, maxDepth: number): readonly string[] {
    const depth = Math.min(maxDepth, MAX_CHAIN_DEPTH);
    const cached = this.reportClosures.get(depth)?.get(managerId);
    if (cached !== undefined) return cached;
    const found = new Set<string>();
    let frontier = [managerId];
    for (let depth = 0; depth < Math.min(maxDepth, MAX_CHAIN_DEPTH) && frontier.length > 0; depth += 1) {
      const next: string[] = [];
      for (const manager of frontier) {
        for (const report of this.everReports.get(manager) ?? []) {
          if (report !== managerId && !found.has(report)) {
            found.add(report);
            next.push(report);
          }
        }
      }
      frontier = next;
    }
    const sorted = [...found].sort();
    this.rememberReportClosure(depth, managerId, sorted);
    return sorted;
  }

  private rememberReportClosure(depth: number, managerId: string, sorted: readonly string[]): void {
    let byManager = this.reportClosures.get(depth);
    if (byManager === undefined) {
      byManager = new Map();
      this.reportClosures.set(depth, byManager);
    }
    if (byManager.size >= MAX_CLOSURES) byManager.clear();
    byManager.set(managerId, sorted);
  }

  /**
   * The event that put the rep's manager in force on a date (latest effective date on or before it, then the
   * latest position), as recorded through the position: the source of a link in an overlay chain.
   */
  managerSourceOn(repId: string, date: string, throughPosition: number = END_OF_LOG): SourceRef | undefined {
    let found: (SourceRef & { effectiveDate: string }) | undefined;
    for (const fact of this.managerFacts.get(repId) ?? []) {
      if (fact.position > throughPosition || fact.effectiveDate > date) continue;
      if (found === undefined || fact.effectiveDate >= found.effectiveDate) found = fact;
    }
    return found === undefined ? undefined : { eventId: found.eventId, position: found.position };
  }

  /** Whether the rep was ever anyone's manager (cheap check before looking for overlay credit). */
  hasEverHadReports(repId: string): boolean {
    return (this.everReports.get(repId)?.size ?? 0) > 0;
  }

  paymentsFor(dealId: string, throughPosition: number = END_OF_LOG): readonly PaymentFact[] {
    return (this.payments.get(dealId) ?? []).filter((p) => p.position <= throughPosition);
  }

  /** Adjustments recorded for a rep through the position, in log order. */
  adjustmentsFor(repId: string, throughPosition: number = END_OF_LOG): readonly AdjustmentFact[] {
    return (this.adjustments.get(repId) ?? []).filter((a) => a.position <= throughPosition);
  }

  closes(throughPosition: number = END_OF_LOG): readonly CloseFact[] {
    return this.closeFacts.filter((c) => c.position <= throughPosition);
  }

  /** Disputes raised for the rep and not resolved, as of the position, in log order. */
  openDisputes(repId: string, throughPosition: number = END_OF_LOG): readonly DisputeFact[] {
    const open: DisputeFact[] = [];
    for (const id of this.disputesByRep.get(repId) ?? []) {
      const dispute = this.disputes.get(id);
      if (dispute === undefined || dispute.raised.position > throughPosition) continue;
      if (dispute.resolved.some((r) => r.position <= throughPosition)) continue;
      open.push(dispute.raised);
    }
    return open;
  }

  /** Deal ids that at some point named a rep who was not onboarded yet (candidates for unknown_rep), sorted. */
  dealsThatNamedUnknownReps(): string[] {
    return [...this.dealsNamingUnknownReps].sort();
  }

  /** Deal ids with amendments, cancellations or payments recorded before (or without) their DealClosed, sorted. */
  dealIdsWithOrphanFacts(): string[] {
    return [...this.orphanDealIds].sort();
  }

  /** Orphan facts of one deal as of the position: amendments/cancellations before its close, payments without a deal. */
  orphanFactsOf(dealId: string, throughPosition: number = END_OF_LOG): SourceRef[] {
    const history = this.deals.get(dealId);
    const fromHistory = history?.orphans(throughPosition) ?? [];
    const closedAt = history?.firstClosedPosition();
    const payments = (this.payments.get(dealId) ?? [])
      .filter(
        (p) =>
          p.position <= throughPosition &&
          (closedAt === undefined || closedAt > throughPosition || p.position < closedAt),
      )
      .map((p) => ({ eventId: p.eventId, position: p.position }));
    return [...fromHistory, ...payments].sort((a, b) => a.position - b.position);
  }

  /**
   * A number that changes whenever a fact that may affect (rep, quota period) is applied; equal numbers
   * mean a cached result is still good. Conservative: it also moves for facts in the months around the
   * period, in earlier months of its fiscal year (year-to-date plans and yearly caps look back), for FX
   * rates of currencies the rep has dealt in, for facts of the rep's reports (overlays) and for
   * company-wide facts (calendar, plan publications).
   */
  revisionOf(repId: string, quotaPeriodId: string): number {
    const calendar = this.calendar();
    const period = parsePeriodId(calendar, quotaPeriodId);
    const yearStart = periodContaining(calendar, "year", period.start).start;
    return this.revisions.of(repId, monthOf(addDays(yearStart, -1)), monthOf(addDays(period.end, 1)));
  }

  /** Which (rep, quota period) pairs a just-applied event may change, sorted (see activity.ts). */
  affectedBy(recorded: RecordedDomainEvent): readonly AffectedQuotaPeriod[] {
    return affectedBy(this, recorded);
  }

  /** affectedBy grouped by rep: rep → its quota periods, sorted; the reps in no particular order. */
  affectedByRep(recorded: RecordedDomainEvent): ReadonlyMap<string, readonly string[]> {
    return affectedByRep(this, recorded);
  }

  /** Managers the rep ever had, at any depth (bounded), sorted: the shared list, not a copy. */
  managerChain(repId: string): readonly string[] {
    return this.managerClosure(repId);
  }

  /** Period ids the rep has a QuotaSet for at the latest position (every recorded one), unsorted. */
  latestQuotaPeriodIds(repId: string): Iterable<string> {
    return this.quotas.get(repId)?.keys() ?? NO_IDS;
  }

  /** Every adjustment recorded for the rep (the latest position), in log order: the shared list. */
  latestAdjustments(repId: string): readonly AdjustmentFact[] {
    return this.adjustments.get(repId) ?? NO_ADJUSTMENTS;
  }

  /**
   * Quota periods of the rep with any activity as of the position (optionally ending on or after
   * fromDate): own deals and cancellations, quotas, adjustments, and, while the rep's plan has an overlay
   * component, the periods of reports' deals. Sorted.
   */
  quotaPeriodsWithActivity(repId: string, throughPosition: number = END_OF_LOG, fromDate?: string): string[] {
    return quotaPeriodsWithActivity(this, repId, throughPosition, fromDate);
  }

  /** The full history of a deal (every version), for finding every rep and period it ever touched. */
  dealHistory(dealId: string): DealHistory | undefined {
    return this.deals.get(dealId);
  }

  /** Whether the rep (or a report of theirs) has credit in the currency. */
  repDealsInCurrency(repId: string, currency: string): boolean {
    return this.revisions.repUsesCurrency(repId, currency);
  }

  /** A raised dispute by id (resolved or not). */
  dispute(disputeId: string): DisputeFact | undefined {
    return this.disputes.get(disputeId)?.raised;
  }

  /**
   * Every deal ever indexed under the rep (optionally only those indexed in fromMonth or later), resolved as
   * of the position, sorted by deal id.
   */
  allDealsOf(repId: string, throughPosition: number = END_OF_LOG, fromMonth?: string): DealState[] {
    const byMonth = this.dealIndex.get(repId);
    if (byMonth === undefined) return [];
    const histories: DealHistory[] = [];
    for (const [month, deals] of byMonth) {
      if (fromMonth !== undefined && month < fromMonth) continue;
      for (const deal of deals) histories.push(deal);
    }
    return statesByDealId(histories, throughPosition);
  }

  /** Managers the rep ever had, at any depth (bounded), sorted. */
  everManagersOf(repId: string): string[] {
    return [...this.managerClosure(repId)];
  }

  private managerClosure(repId: string): readonly string[] {
    const cached = this.managerClosures.get(repId);
    if (cached !== undefined) return cached;
    const found = new Set<string>();
    let frontier = [repId];
    for (let depth = 0; depth < MAX_CHAIN_DEPTH && frontier.length > 0; depth += 1) {
      const next: string[] = [];
      for (const rep of frontier) {
        for (const manager of this.everManagers.get(rep) ?? []) {
          if (manager !== repId && !found.has(manager)) {
            found.add(manager);
            next.push(manager);
          }
        }
      }
      frontier = next;
    }
    const sorted = [...found].sort();
    if (this.managerClosures.size >= MAX_CLOSURES) this.managerClosures.clear();
    this.managerClosures.set(repId, sorted);
    return sorted;
  }

  private touchGroup(repId: string): readonly RepRevisions[] {
    const closure = this.managerClosure(repId);
    const kept = this.touchGroups.get(repId);
    if (kept !== undefined && kept.closure === closure) return kept.records;
    const records = this.revisions.recordsOf([repId, ...closure]);
    if (this.touchGroups.size >= MAX_CLOSURES) this.touchGroups.clear();
    this.touchGroups.set(repId, { closure, records });
    return records;
  }

  /**
   * Quota periods (unsorted) of the rep's deal activity at the latest position: own deals and
   * cancellations and, where the rep's plan has an overlay, reports' deals; with fromMonth only deals indexed
   * in that month or later. The latest-position part of quotaPeriodsWithActivity (see activity.ts).
   */
  latestDealQuotaPeriods(repId: string, fromMonth: string | undefined): string[] {
    return this.activity.dealPeriods(repId, fromMonth);
  }

  private noteRep(repId: string): void {
    if (!this.knownRepIds.has(repId)) {
      this.knownRepIds.add(repId);
      this.sortedRepIds = undefined;
    }
  }

  private setManager(
    repId: string,
    managerId: string | null,
    effectiveDate: string,
    source: SourceRef,
  ): void {
    const position = source.position;
    // Every manager the rep has or had (and theirs) may see overlay credit move.
    this.touchManagersOf(repId, undefined, position);
    this.hierarchy.setManager(repId, managerId, effectiveDate, position);
    pushTo(this.managerFacts, repId, { eventId: source.eventId, position: source.position, effectiveDate });
    if (managerId !== null) {
      // A new link only adds reports, and only to the manager and the managers above them: each of those
      // gets the overlay activity of exactly the reports it gains.
      const above = [managerId, ...this.managerClosure(managerId)];
      const before = above.map((m) => this.reportClosure(m, MAX_CHAIN_DEPTH));
      addTo(this.everManagers, repId, managerId);
      addTo(this.everReports, managerId, repId);
      if (!this.hasEverHadReports(repId) && above.length < MAX_CHAIN_DEPTH - 1 && !above.includes(repId)) {
        // The usual case, a rep without reports joining a team (onboarding): only the rep's own manager
        // closure and the closures of the managers above change, each gaining exactly the rep (the chain is
        // shorter than the depth bound, so the rep is within it). Rebuilding every closure from scratch
        // instead made onboarding quadratic in the size of the company.
        this.managerClosures.delete(repId);
        for (const [depth, byManager] of this.reportClosures)
          if (depth !== MAX_CHAIN_DEPTH) for (const m of above) byManager.delete(m);
        above.forEach((manager, i) => {
          const previous = before[i] as readonly string[];
          const after = withSorted(previous, repId);
          this.rememberReportClosure(MAX_CHAIN_DEPTH, manager, after);
          if (after !== previous) this.activity.addReports(manager, [repId]);
        });
      } else {
        const beforeOf = new Map(above.map((m, i) => [m, before[i] as readonly string[]]));
        this.managerClosures.clear();
        this.reportClosures.clear();
        for (const manager of new Set([...above, ...this.managerClosure(managerId)])) {
          const previous = beforeOf.get(manager);
          const after = this.reportClosure(manager, MAX_CHAIN_DEPTH);
          const had = new Set(previous ?? []);
          const gained = after.filter((r) => !had.has(r));
          // Newly above the rep through a cycle, or (never expected) a report lost: rebuild from scratch.
          if (previous === undefined || after.length !== had.size + gained.length)
            this.activity.invalidate(manager);
          else if (gained.length > 0) this.activity.addReports(manager, gained);
        }
      }
      this.touchManagersOf(repId, undefined, position);
    }
    this.revisions.touchRep(repId, position);
  }

  private touchManagersOf(repId: string, months: readonly string[] | undefined, position: number): void {
    for (const manager of this.managerClosure(repId)) {
      if (months === undefined) this.revisions.touchRep(manager, position);
      else for (const month of months) this.revisions.touchRepMonth(manager, month, position);
    }
  }

  private touchPeriodId(repId: string, periodId: string, position: number): void {
    const period = parsePeriodId(this.calendar(), periodId);
    for (
      let month = monthOf(period.start);
      month <= monthOf(period.end);
      month = monthOf(addDays(`${month}-28`, 7))
    ) {
      this.revisions.touchRepMonth(repId, month, position);
    }
  }

  /** Indexes the deal under every rep and month of its latest version and bumps their revisions. */
  private indexDeal(history: DealHistory, extraRawDate: string | undefined, position: number): void {
    const state = history.stateAt(position);
    if (state === undefined) return;
    this.activity.noteDeal(state, history);
    const month = monthOf(state.closeDate);
    for (const split of state.splits) {
      this.noteRep(split.repId);
      if (!this.repsById.has(split.repId)) this.dealsNamingUnknownReps.add(state.dealId);
      let byMonth = this.dealIndex.get(split.repId);
      if (byMonth === undefined) {
        byMonth = new Map();
        this.dealIndex.set(split.repId, byMonth);
      }
      let deals = byMonth.get(month);
      if (deals === undefined) {
        deals = new Set();
        byMonth.set(month, deals);
      }
      deals.add(history);
    }
    this.touchDeal(history, state.currency, extraRawDate, position);
  }

  /**
   * Bumps the revisions a deal event reaches. Every rep the deal ever credited (an amendment takes credit
   * away from the old ones), and their managers (overlays), see the months of every version move, and the
   * month of `extraRawDate` (a payment's or a cancellation's). Managers convert report deals into their own
   * currency, so FX rates of the deal currency matter to them too.
   *
   * A payment calls only this: it changes neither the deal's state nor where the deal is indexed, which
   * the deal's own events keep up to date (the activity index and the deal index would be asked the same
   * question again and answer it the same way).
   */
  private touchDeal(
    history: DealHistory,
    currency: string,
    extraRawDate: string | undefined,
    position: number,
  ): void {
    const months: number[] = [];
    const reps: string[] = [];
    if (extraRawDate !== undefined) months.push(monthKey(extraRawDate));
    for (const version of history.allVersionsThrough(position)) {
      const month = monthKey(version.closeDate);
      if (!months.includes(month)) months.push(month);
      for (const split of version.splits) if (!reps.includes(split.repId)) reps.push(split.repId);
    }
    for (const repId of reps) this.revisions.touchDeal(this.touchGroup(repId), currency, months, position);
  }
}
