import { type CompanyCalendar, type Period, toBusinessDate } from "../calendar/index.js";
import { SharedValues } from "./shared-values.js";
import type { DealState } from "./types.js";

/**
 * What one deal contributes to one rep's activity at the latest position. `close`/`cancel` are the raw
 * dates of the latest version when the rep is in its splits (else undefined); `maxMonth` is the latest raw
 * close-date month the deal was ever indexed under for the rep, which is what the scan's `fromMonth`
 * filter (allDealsOf) looks at, so the index answers the same question with the same quirks.
 */
interface Contribution {
  readonly close: string | undefined;
  readonly cancel: string | undefined;
  readonly maxMonth: string;
}

/**
 * Contributions are immutable and depend only on three dates, which thousands of (rep, deal) pairs share (a
 * close date, no cancellation, its month): one object per distinct content instead of one per pair.
 */
const sharedContributions = new SharedValues<Contribution>(100_000);

function contributionOf(
  close: string | undefined,
  cancel: string | undefined,
  maxMonth: string,
): Contribution {
  return sharedContributions.get(`${close ?? ""}\u0000${cancel ?? ""}\u0000${maxMonth}`, () => ({
    close,
    cancel,
    maxMonth,
  }));
}

/**
 * Where one (rep, deal) pair's contribution sits: its index in the rep's list. The lists hold the shared
 * contributions themselves, so building a summary reads one array per rep (cells of their own, one object
 * per pair, made that read 10 times slower at the default size: 0.4 → 4.7 s).
 */
export interface Slot {
  readonly repId: string;
  readonly list: (Contribution | undefined)[];
  readonly index: number;
}

function slotOf(slots: readonly Slot[], repId: string): Slot | undefined {
  for (const slot of slots) if (slot.repId === repId) return slot;
  return undefined;
}

/**
 * The slots of every rep a deal was ever indexed under (an amendment that drops a rep keeps its slot, whose
 * contribution then says so). One slot (most deals) is kept as itself, not a list of one. The deal keeps
 * them (Facts: on its DealHistory), one field instead of an entry per deal in a map of a million deals
 * looked up on every deal event.
 */
export interface DealSlots {
  activitySlots: Slot | Slot[] | undefined;
}

const NO_CONTRIBUTIONS: readonly (Contribution | undefined)[] = [];

/** quota period id → maxMonth → how many contributions land there. Only positive counts are kept. */
type Summary = Map<string, Map<string, number>>;

/** What the index needs from Facts, all as of the latest position. */
export interface ActivityView {
  calendar(): CompanyCalendar;
  homeQuotaPeriod(repId: string, businessDate: string): Period;
  /** The manager's home quota period of the date when their plan on it has an overlay, else undefined. */
  overlayQuotaPeriod(managerId: string, businessDate: string): Period | undefined;
  everManagers(repId: string): readonly string[];
  everReports(repId: string): readonly string[];
  hasEverHadReports(repId: string): boolean;
}

/**
 * One string per month for every contribution kept (a contribution per (rep, deal): 126,000 copies of a
 * few dozen "YYYY-MM" values at 1,000 reps). Bounded; cleared when full.
 */
const monthIds = new SharedValues<string>(10_000);

function bump(summary: Summary, periodId: string, maxMonth: string, delta: number): void {
  let months = summary.get(periodId);
  if (months === undefined) {
    months = new Map();
    summary.set(periodId, months);
  }
  const count = (months.get(maxMonth) ?? 0) + delta;
  if (count > 0) months.set(maxMonth, count);
  else {
    months.delete(maxMonth);
    if (months.size === 0) summary.delete(periodId);
  }
}

function sameContribution(a: Contribution, b: Contribution): boolean {
  return a.close === b.close && a.cancel === b.cancel && a.maxMonth === b.maxMonth;
}

/**
 * The quota periods with deal activity per rep at the latest position, maintained as deals arrive, so that
 * `quotaPeriodsWithActivity` at the latest position costs the number of the rep's periods instead of a
 * rescan of every deal of the rep and of their whole team (which made replay quadratic in history).
 *
 * Per-deal contributions are kept always; the per-rep summaries (period → months) depend on the rep's plan
 * (quota-period kind, overlay component), the calendar and the reports the rep ever had, so they are built
 * lazily and dropped when any of those change; while built, deal changes update them by delta. Memory is
 * one entry per (rep, deal) plus one summary per rep: bounded by the facts themselves.
 */
export class ActivityIndex {
  /**
   * Each rep's contributions, one per deal, in the order the rep was first indexed under each deal
   * (undefined only while noteDeal makes it).
   */
  private readonly byRep = new Map<string, (Contribution | undefined)[]>();
  private readonly summaries = new Map<string, Summary>();

  constructor(private readonly view: ActivityView) {}

  /**
   * Records the deal's latest state, just indexed under each of its split reps at its close month; `deal`
   * is where this deal's slots are kept (the same holder for every event of the deal).
   */
  noteDeal(state: DealState, deal: DealSlots): void {
    const month = monthIds.get(state.closeDate.slice(0, 7), SharedValues.same);
    const kept = deal.activitySlots;
    const slots = kept === undefined ? [] : Array.isArray(kept) ? kept : [kept];
    const count = slots.length;
    for (const split of state.splits) {
      if (slotOf(slots, split.repId) !== undefined) continue;
      let list = this.byRep.get(split.repId);
      if (list === undefined) {
        list = [];
        this.byRep.set(split.repId, list);
      }
      slots.push({ repId: split.repId, list, index: list.length });
      list.push(undefined);
    }
    if (slots.length !== count) {
      // A list grown from empty reserves 17 slots: a kept list of several is copied at its size.
      deal.activitySlots = slots.length === 1 ? (slots[0] as Slot) : slots.slice();
    }
    for (const { repId, list, index } of slots) {
      const old = list[index];
      const inSplits = state.splits.some((s) => s.repId === repId);
      let maxMonth = old?.maxMonth ?? month;
      if (inSplits && month > maxMonth) maxMonth = month;
      const next = inSplits
        ? contributionOf(state.closeDate, state.cancellation?.cancelDate, maxMonth)
        : contributionOf(undefined, undefined, maxMonth);
      if (old !== undefined && sameContribution(old, next)) continue;
      if (old !== undefined) this.apply(repId, old, -1);
      list[index] = next;
      this.apply(repId, next, 1);
    }
  }

  /** The rep's plan changed: its own periods and overlay eligibility are stale. */
  invalidate(repId: string): void {
    this.summaries.delete(repId);
  }

  /**
   * The manager now also has these reports (a new manager link): adds their deals' overlay activity to the
   * manager's summary if it is built, instead of rebuilding it from the whole team.
   */
  addReports(managerId: string, reportIds: readonly string[]): void {
    const summary = this.summaries.get(managerId);
    if (summary === undefined) return;
    const calendar = this.view.calendar();
    for (const reportId of reportIds) {
      for (const contribution of this.byRep.get(reportId) ?? NO_CONTRIBUTIONS)
        if (contribution !== undefined) this.addOverlay(summary, calendar, managerId, contribution, 1);
    }
  }

  /** Calendar or plan publication: every summary is stale. */
  invalidateAll(): void {
    this.summaries.clear();
  }

  /**
   * Quota periods (unsorted, no duplicates) of the rep's own deals and cancellations and, when the rep
   * ever had reports, of reports' deals on dates the rep's plan has an overlay; with fromMonth, only from
   * deals indexed in that month or later (as allDealsOf filters).
   */
  dealPeriods(repId: string, fromMonth: string | undefined): string[] {
    const summary = this.summary(repId);
    const out: string[] = [];
    for (const [periodId, months] of summary) {
      if (fromMonth === undefined) {
        out.push(periodId);
        continue;
      }
      for (const month of months.keys()) {
        if (month >= fromMonth) {
          out.push(periodId);
          break;
        }
      }
    }
    return out;
  }

  private summary(repId: string): Summary {
    const cached = this.summaries.get(repId);
    if (cached !== undefined) return cached;
    const summary: Summary = new Map();
    const calendar = this.view.calendar();
    for (const contribution of this.byRep.get(repId) ?? NO_CONTRIBUTIONS)
      if (contribution !== undefined) this.addOwn(summary, calendar, repId, contribution, 1);
    if (this.view.hasEverHadReports(repId)) {
      for (const reportId of this.view.everReports(repId)) {
        for (const contribution of this.byRep.get(reportId) ?? NO_CONTRIBUTIONS)
          if (contribution !== undefined) this.addOverlay(summary, calendar, repId, contribution, 1);
      }
    }
    this.summaries.set(repId, summary);
    return summary;
  }

  /** Adds (+1) or removes (-1) a contribution of the rep in every built summary it reaches. */
  private apply(repId: string, c: Contribution, delta: number): void {
    // Nothing built yet (a replay that has not asked for any statement): nothing to keep up to date.
    if (this.summaries.size === 0) return;
    const calendar = this.view.calendar();
    const own = this.summaries.get(repId);
    if (own !== undefined) this.addOwn(own, calendar, repId, c, delta);
    if (c.close === undefined) return;
    for (const managerId of this.view.everManagers(repId)) {
      const summary = this.summaries.get(managerId);
      if (summary !== undefined) this.addOverlay(summary, calendar, managerId, c, delta);
    }
  }

  private addOwn(
    summary: Summary,
    calendar: CompanyCalendar,
    repId: string,
    c: Contribution,
    delta: number,
  ): void {
    if (c.close === undefined) return;
    const close = this.view.homeQuotaPeriod(repId, toBusinessDate(calendar, c.close));
    bump(summary, close.id, c.maxMonth, delta);
    if (c.cancel !== undefined) {
      const cancel = this.view.homeQuotaPeriod(repId, toBusinessDate(calendar, c.cancel));
      bump(summary, cancel.id, c.maxMonth, delta);
    }
  }

  private addOverlay(
    summary: Summary,
    calendar: CompanyCalendar,
    managerId: string,
    c: Contribution,
    delta: number,
  ): void {
    if (c.close === undefined) return;
    const date = toBusinessDate(calendar, c.close);
    const period = this.view.overlayQuotaPeriod(managerId, date);
    if (period !== undefined) bump(summary, period.id, c.maxMonth, delta);
  }
}
