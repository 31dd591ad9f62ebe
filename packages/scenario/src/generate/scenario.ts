import { Decimal, type DomainEvent, makeEvent } from "@icm/events";
import { CANCEL_REASONS, generateDeal, paymentSchedule, QuarterSchedule } from "../deals/deals.js";
import { buildOrg, type ManagerChange, type Person, type Termination } from "../org/org.js";
import { scenarioPlans } from "../plans/plans.js";
import { substream } from "../random/prng.js";
import { addDays, type Quarter, quarterSpan } from "../time/dates.js";
import { Emitter, type InjectedDuplicate, type InjectedInvalid, type QuarterClose } from "./emitter.js";
import { resolveOptions, type ScenarioOptions } from "./options.js";
import { PendingQueue } from "./pending.js";
import { setupEvents, source, timelineEvents } from "./setup.js";

export interface LateDeal {
  readonly dealId: string;
  readonly eventId: string;
  /** The quarter the deal closed in, already closed when the deal was recorded. */
  readonly period: string;
  readonly eventIndex: number;
}

export interface ScenarioSummary {
  readonly seed: number;
  readonly eventCount: number;
  /** Valid events by type (injected invalid events and duplicates are listed separately). */
  readonly countsByType: Readonly<Record<string, number>>;
  readonly periods: readonly string[];
  readonly firstDate: string;
  /** The latest date an event was recorded (follow-ups such as payments run past the last quarter). */
  readonly lastDate: string;
  readonly planVersions: readonly { planId: string; version: number }[];
  readonly org: {
    readonly vp: string;
    readonly directors: readonly string[];
    readonly managers: readonly string[];
    readonly reps: readonly string[];
    readonly newHires: readonly string[];
    readonly managerChanges: readonly ManagerChange[];
    readonly terminations: readonly Termination[];
  };
  readonly deals: number;
  readonly cancellations: { readonly insideWindow: number; readonly outsideWindow: number };
  readonly payments: number;
  readonly lateDeals: readonly LateDeal[];
  readonly quarterCloses: readonly QuarterClose[];
  readonly invalidEvents: readonly InjectedInvalid[];
  readonly duplicateEvents: readonly InjectedDuplicate[];
  /** Most events the generator held back at once (follow-ups and late deals): its memory high-water mark. */
  readonly peakPendingEvents: number;
}

export interface Scenario {
  readonly events: DomainEvent[];
  readonly summary: ScenarioSummary;
}

/** Cancellations up to this many days after close are inside every plan's clawback window (shortest: 90). */
const INSIDE_WINDOW_DAYS = [5, 60] as const;
/** ...and from this many days on, outside every window (longest: 180). */
const OUTSIDE_WINDOW_DAYS = [200, 300] as const;
const INSIDE_SHARE_PER_MILLION = 600_000;
/** Sizing fallback for a rep without a quota in a quarter (cannot happen with the generated org). */
const DEFAULT_QUOTA_USD = new Decimal(300_000);
/** Bound on held-back events; far above what a realistic deal density needs (see peakPendingEvents). */
const PENDING_LIMIT = 5_000_000;

/** Floyd's algorithm: `count` distinct deal indices, without materialising the whole range. */
function lateDealIndices(seed: number, count: number, deals: number): Set<number> {
  const prng = substream(seed, "late");
  const chosen = new Set<number>();
  for (let j = deals - count; j < deals; j += 1) {
    const candidate = prng.int(j + 1);
    chosen.add(chosen.has(candidate) ? j : candidate);
  }
  return chosen;
}

/**
 * A seeded, realistic ICM history as a stream, in log order: calendar, FX rates, plans, the organisation
 * with plan assignments and quotas, then business time — deals (in close-date order) with their credit
 * splits, and after them the facts they cause (cancellations, customer payments), interleaved with hires,
 * manager changes, a departure and adjustments. Memory holds only the follow-ups of the next few months,
 * so a million deals stream in bounded memory. The summary is the generator's return value.
 */
export function* scenarioEvents(
  options: ScenarioOptions,
): Generator<DomainEvent, ScenarioSummary, undefined> {
  const o = resolveOptions(options);
  const quarters = quarterSpan(o.startQuarter, o.quarters);
  const first = quarters[0] as Quarter;
  const plans = scenarioPlans(quarters);
  const org = buildOrg(substream(o.seed, "org"), {
    reps: o.reps,
    newHires: o.newHires,
    quarters,
    currencies: o.currencies,
    plans,
  });
  const out = new Emitter(
    substream(o.seed, "inject"),
    o.invalidPerMillion,
    o.duplicatePerMillion,
    quarters.map((q) => ({ period: q.id, closeDate: addDays(q.last, o.closeLagDays) })),
  );
  const pending = new PendingQueue(PENDING_LIMIT);
  let sequence = 0;
  const later = (event: DomainEvent, logDate: string) =>
    pending.push({ logDate, sequence: sequence++, event });

  // Set-up (what exists before the first business day), then the organisation's own timeline, which
  // waits in the queue and is interleaved with the deals by date.
  for (const event of setupEvents(o, quarters, plans, org)) yield* out.emit(event, first.first);
  for (const { event, logDate } of timelineEvents(o, quarters, org)) later(event, logDate);
  const startingStaff = org.people.filter((p) => !p.hiredDuringScenario);

  // Who can be credited changes with hires and departures (by business date, not log order).
  const byId = new Map(org.people.map((p) => [p.repId, p]));
  const transitions = [
    ...org.people
      .filter((p) => p.role === "rep" && p.hiredDuringScenario)
      .map((p) => ({ date: p.hireDate, repId: p.repId, joins: true })),
    ...org.terminations.map((t) => ({ date: addDays(t.terminationDate, 1), repId: t.repId, joins: false })),
  ].sort((a, b) => (a.date === b.date ? (a.repId < b.repId ? -1 : 1) : a.date < b.date ? -1 : 1));
  let active = startingStaff.filter((p) => p.role === "rep");
  let nextTransition = 0;

  const dealPrng = substream(o.seed, "deals");
  const cancelPrng = substream(o.seed, "cancellations");
  const paymentPrng = substream(o.seed, "payments");
  const lateArrival = substream(o.seed, "late-arrival");
  const late = lateDealIndices(o.seed, o.lateDealCount, o.deals);
  const lateByEventId = new Map<string, Omit<LateDeal, "eventIndex">>();
  const lateDeals: LateDeal[] = [];
  const width = Math.max(6, String(o.deals).length);
  let insideWindow = 0;
  let outsideWindow = 0;
  let payments = 0;

  const emitPending = function* (upTo: string): Generator<DomainEvent> {
    for (let next = pending.peek(); next !== undefined && next.logDate <= upTo; next = pending.peek()) {
      pending.pop();
      const lateDeal = lateByEventId.get(next.event.eventId);
      if (lateDeal !== undefined) {
        lateDeals.push({ ...lateDeal, eventIndex: out.count });
        lateByEventId.delete(next.event.eventId);
      }
      yield* out.emit(next.event, next.logDate);
    }
  };

  let dealIndex = 0;
  for (const [q, quarter] of quarters.entries()) {
    const inQuarter =
      Math.floor((o.deals * (q + 1)) / quarters.length) - Math.floor((o.deals * q) / quarters.length);
    const schedule = new QuarterSchedule(quarter, inQuarter);
    // Average deal size per rep at target, cached until the quarter or the set of active reps changes.
    let averages = new Map<string, Decimal>();
    let averagesFor: readonly Person[] = active;
    const averageDealUsd = (person: Person): Decimal => {
      if (averagesFor !== active) {
        averages = new Map();
        averagesFor = active;
      }
      let average = averages.get(person.repId);
      if (average === undefined) {
        const quota = person.quotas.get(quarter.id) ?? DEFAULT_QUOTA_USD;
        const dealsPerRep = Decimal.max(new Decimal(inQuarter).div(active.length), 1);
        average = quota.div(dealsPerRep);
        averages.set(person.repId, average);
      }
      return average;
    };
    for (let j = 0; j < inQuarter; j += 1, dealIndex += 1) {
      const closeDate = schedule.closeDate(j);
      yield* emitPending(closeDate);
      for (
        ;
        nextTransition < transitions.length && (transitions[nextTransition]?.date ?? "") <= closeDate;
        nextTransition += 1
      ) {
        const change = transitions[nextTransition] as { repId: string; joins: boolean };
        active = change.joins
          ? [...active, byId.get(change.repId) as Person].sort((a, b) => (a.repId < b.repId ? -1 : 1))
          : active.filter((p) => p.repId !== change.repId);
      }
      const number = String(dealIndex + 1).padStart(width, "0");
      const { deal, onCollection } = generateDeal(dealPrng, {
        dealId: `D-${number}`,
        closeDate,
        quarter,
        active,
        averageDealUsd,
        currencies: o.currencies,
      });
      const dealEventId = `deal-${number}-closed`;
      const dealEvent = makeEvent(
        "DealClosed",
        dealEventId,
        deal,
        source("crm", { correlationId: `crm-sync-${closeDate}` }),
      );
      let dealLogDate = closeDate;
      if (late.has(dealIndex)) {
        dealLogDate = addDays(quarter.last, o.closeLagDays + lateArrival.between(1, 20));
        lateByEventId.set(dealEventId, { dealId: deal.dealId, eventId: dealEventId, period: quarter.id });
        later(dealEvent, dealLogDate);
      } else {
        yield* out.emit(dealEvent, closeDate);
      }
      const followUpDate = (date: string) => (date > dealLogDate ? date : dealLogDate);
      if (cancelPrng.chance(o.cancellationPerMillion)) {
        const inside = cancelPrng.chance(INSIDE_SHARE_PER_MILLION);
        const [min, max] = inside ? INSIDE_WINDOW_DAYS : OUTSIDE_WINDOW_DAYS;
        const cancelDate = addDays(closeDate, cancelPrng.between(min, max));
        if (inside) insideWindow += 1;
        else outsideWindow += 1;
        later(
          makeEvent(
            "DealCancelled",
            `deal-${number}-cancelled`,
            { dealId: deal.dealId, cancelDate, reason: cancelPrng.pick(CANCEL_REASONS) },
            source("crm", { causationId: dealEventId }),
          ),
          followUpDate(cancelDate),
        );
      } else if (onCollection) {
        paymentSchedule(paymentPrng, deal).forEach((installment, index) => {
          payments += 1;
          later(
            makeEvent(
              "PaymentReceived",
              `deal-${number}-payment-${index + 1}`,
              {
                paymentId: `P-${number}-${index + 1}`,
                dealId: deal.dealId,
                amount: installment.amount,
                currency: deal.currency,
                receivedDate: installment.receivedDate,
              },
              source("billing", { causationId: dealEventId }),
            ),
            followUpDate(installment.receivedDate),
          );
        });
      }
    }
  }
  yield* emitPending("9999-12-31");
  out.finish();

  const sortedCounts: Record<string, number> = {};
  for (const type of [...out.countsByType.keys()].sort())
    sortedCounts[type] = out.countsByType.get(type) as number;
  const ids = (role: Person["role"]) => org.people.filter((p) => p.role === role).map((p) => p.repId);
  return {
    seed: o.seed,
    eventCount: out.count,
    countsByType: sortedCounts,
    periods: quarters.map((q) => q.id),
    firstDate: first.first,
    lastDate: out.lastLogDate,
    planVersions: plans.map((p) => ({ planId: p.planId, version: p.version })),
    org: {
      vp: ids("vp")[0] as string,
      directors: ids("director"),
      managers: ids("manager"),
      reps: ids("rep"),
      newHires: org.people.filter((p) => p.hiredDuringScenario).map((p) => p.repId),
      managerChanges: org.managerChanges,
      terminations: org.terminations,
    },
    deals: o.deals,
    cancellations: { insideWindow, outsideWindow },
    payments,
    lateDeals,
    quarterCloses: out.closes,
    invalidEvents: out.invalid,
    duplicateEvents: out.duplicates,
    peakPendingEvents: pending.peak,
  };
}

/** The whole scenario in memory, for tests and demos of modest size. */
export function generateScenario(options: ScenarioOptions): Scenario {
  const events: DomainEvent[] = [];
  const stream = scenarioEvents(options);
  for (let step = stream.next(); ; step = stream.next()) {
    if (step.done) return { events, summary: step.value };
    events.push(step.value);
  }
}
