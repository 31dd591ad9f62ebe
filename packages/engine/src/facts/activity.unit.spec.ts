import { type DomainEvent, type EventData, type EventType, makeEvent, parseEventOrThrow } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, parsePeriodId, toBusinessDate } from "../calendar/index.js";
import type { Component, PlanDefinition } from "../plan/index.js";
import { Facts } from "./facts.js";
import type { AffectedQuotaPeriod, RecordedDomainEvent } from "./types.js";

// The reference: affectedBy and quotaPeriodsWithActivity as they were before Facts kept an activity index,
// scanning every deal of the rep (and of their reports) through the public Facts API. The index must give
// exactly the same pairs after every event: closed statements' prior-period-adjustment traces depend on them.

function monthOf(rawDate: string): string {
  return rawDate.slice(0, 7);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function referenceActive(facts: Facts, repId: string, through: number, fromDate?: string): string[] {
  const calendar = facts.calendar(through);
  const ids = new Set<string>();
  const fromMonth = fromDate === undefined ? undefined : monthOf(addDays(`${monthOf(fromDate)}-01`, -1));
  for (const deal of facts.allDealsOf(repId, through, fromMonth)) {
    if (!deal.splits.some((s) => s.repId === repId)) continue;
    ids.add(facts.homeQuotaPeriod(repId, toBusinessDate(calendar, deal.closeDate), through).id);
    if (deal.cancellation !== undefined) {
      const cancel = toBusinessDate(calendar, deal.cancellation.cancelDate);
      ids.add(facts.homeQuotaPeriod(repId, cancel, through).id);
    }
  }
  for (const periodId of facts.quotaPeriodIds(repId, through)) ids.add(periodId);
  for (const adjustment of facts.adjustmentsFor(repId, through)) {
    const end = parsePeriodId(calendar, adjustment.period).end;
    ids.add(facts.homeQuotaPeriod(repId, end, through).id);
  }
  return [...ids].sort();
}

function referencePeriods(facts: Facts, repId: string, through: number, fromDate?: string): string[] {
  const ids = new Set(referenceActive(facts, repId, through, fromDate));
  const calendar = facts.calendar(through);
  if (facts.hasEverHadReports(repId)) {
    const fromMonth = fromDate === undefined ? undefined : monthOf(addDays(`${monthOf(fromDate)}-01`, -1));
    for (const reportId of facts.everReportsOf(repId)) {
      for (const deal of facts.allDealsOf(reportId, through, fromMonth)) {
        if (!deal.splits.some((s) => s.repId === reportId)) continue;
        const date = toBusinessDate(calendar, deal.closeDate);
        const plan = facts.planFor(repId, date, through);
        if (plan === undefined || !plan.compiled.components.some((c) => c.kind === "overlay")) continue;
        ids.add(facts.homeQuotaPeriod(repId, date, through).id);
      }
    }
  }
  if (fromDate === undefined) return [...ids].sort();
  return [...ids].filter((id) => parsePeriodId(calendar, id).end >= fromDate).sort();
}

function looksBack(facts: Facts, repId: string, date: string, through: number): boolean {
  const plan = facts.planFor(repId, date, through)?.compiled;
  if (plan === undefined) return false;
  return (
    plan.cumulative === "ytd" ||
    plan.components.some((c) => "earningsCap" in c && c.earningsCap?.perYear !== undefined)
  );
}

function referenceAffectedBy(facts: Facts, recorded: RecordedDomainEvent): AffectedQuotaPeriod[] {
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
      if (looksBack(facts, who, date, position)) {
        for (const qp of referencePeriods(facts, who, position, home.end)) {
          const later = parsePeriodId(calendar, qp);
          if (later.fiscalYear === home.fiscalYear && later.start > home.start) add(who, qp);
        }
      }
    }
  };
  const addAllOf = (repId: string, fromDate?: string) => {
    for (const qp of referencePeriods(facts, repId, position, fromDate)) {
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
      const end = parsePeriodId(facts.calendar(position), event.data.period).end;
      add(event.data.repId, facts.homeQuotaPeriod(event.data.repId, end, position).id);
      addAllOf(event.data.repId, end);
      break;
    }
    case "DealClosed":
    case "DealAmended":
    case "DealCancelled":
    case "PaymentReceived": {
      const history = facts.dealHistory(event.data.dealId);
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
    default:
      // Disputes and closes do not go through the activity index; the law's histories have none.
      throw new Error(`reference does not cover ${event.type}`);
  }
  return [...out.values()].sort((a, b) =>
    a.repId === b.repId ? cmp(a.quotaPeriod, b.quotaPeriod) : cmp(a.repId, b.repId),
  );
}

/** Reps reachable over `edges` from `start` within 64 steps, excluding start, sorted (the closures' contract). */
function reachable(edges: Map<string, Set<string>>, start: string): string[] {
  const found = new Set<string>();
  let frontier = [start];
  for (let depth = 0; depth < 64 && frontier.length > 0; depth += 1) {
    const next: string[] = [];
    for (const from of frontier)
      for (const to of edges.get(from) ?? [])
        if (to !== start && !found.has(to)) {
          found.add(to);
          next.push(to);
        }
    frontier = next;
  }
  return [...found].sort();
}

// Generated histories: the facts the index depends on (plans with month/quarter/year quota periods, with
// and without overlays and year-to-date, published late or never; assignments changing mid-year; calendar
// changes of zone and fiscal year; manager changes including cycles; deals at instants near month ends,
// amended to other dates and reps, cancelled, paid, and facts before their DealClosed).

const REPS = ["r1", "r2", "r3", "r4"] as const;
const RAW_DATES = [
  "2026-01-15",
  "2026-02-28",
  "2026-03-31",
  "2026-04-01",
  "2026-05-20",
  "2026-06-30",
  "2026-09-30",
  "2026-12-31",
  "2026-03-31T23:30:00-05:00",
  "2026-04-01T02:30:00Z",
  "2026-06-30T22:00:00Z",
  "2026-01-01T03:00:00+09:00",
] as const;
const PLAN_SHAPES = [
  { quotaPeriod: "quarter", payoutPeriod: "month", cumulative: "ytd", overlay: true },
  { quotaPeriod: "month", payoutPeriod: "month", cumulative: "period", overlay: false },
  { quotaPeriod: "year", payoutPeriod: "quarter", cumulative: "period", overlay: true },
  { quotaPeriod: "quarter", payoutPeriod: "quarter", cumulative: "period", overlay: false },
] as const;

function plan(shape: (typeof PLAN_SHAPES)[number]): PlanDefinition {
  const components: Component[] = [
    {
      kind: "rate_table",
      id: "commission",
      name: "Commission",
      method: "marginal",
      bands: [{ from: "0", to: null, rate: "0.10" }],
    },
  ];
  if (shape.overlay) components.push({ kind: "overlay", id: "overlay", name: "Overlay", rate: "0.02" });
  return {
    currency: "USD",
    rounding: { mode: "HALF_EVEN", scale: 2 },
    quotaPeriod: shape.quotaPeriod,
    payoutPeriod: shape.payoutPeriod,
    measure: "amount",
    cumulative: shape.cumulative,
    paymentTiming: { kind: "on_close" },
    components,
  } satisfies PlanDefinition;
}

const rep = fc.constantFrom(...REPS);
const rawDate = fc.constantFrom(...RAW_DATES);
const plainDate = fc.constantFrom(...RAW_DATES.filter((d) => d.length === 10));
const dealNo = fc.integer({ min: 1, max: 6 });
const splits = fc.tuple(rep, rep, fc.boolean()).map(([a, b, two]) =>
  two && a !== b
    ? [
        { repId: a, share: "0.6" },
        { repId: b, share: "0.4" },
      ]
    : [{ repId: a, share: "1" }],
);

type Command =
  | { kind: "publish"; planNo: number }
  | { kind: "assign"; repId: string; planNo: number; from: string; to: string | undefined }
  | { kind: "onboard"; repId: string; managerId: string | undefined }
  | { kind: "manager"; repId: string; managerId: string | null; date: string }
  | { kind: "calendar"; timeZone: string; fiscalYearStartMonth: number }
  | { kind: "close"; dealNo: number; date: string; splits: { repId: string; share: string }[] }
  | {
      kind: "amend";
      dealNo: number;
      date: string | undefined;
      splits: { repId: string; share: string }[] | undefined;
    }
  | { kind: "cancel"; dealNo: number; date: string }
  | { kind: "pay"; dealNo: number; date: string }
  | { kind: "quota"; repId: string; period: string }
  | { kind: "adjust"; repId: string; period: string }
  | { kind: "fx"; date: string }
  | { kind: "terminate"; repId: string; date: string };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant("publish" as const), planNo: fc.integer({ min: 0, max: 3 }) }),
  fc.record({
    kind: fc.constant("assign" as const),
    repId: rep,
    planNo: fc.integer({ min: 0, max: 3 }),
    from: fc.constantFrom("2026-01-01", "2026-02-15", "2026-04-01", "2026-07-01"),
    to: fc.constantFrom(undefined, "2026-06-30", "2026-12-31"),
  }),
  fc.record({
    kind: fc.constant("onboard" as const),
    repId: rep,
    managerId: fc.option(rep, { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant("manager" as const),
    repId: rep,
    managerId: fc.option(rep, { nil: null }),
    date: plainDate,
  }),
  fc.record({
    kind: fc.constant("calendar" as const),
    timeZone: fc.constantFrom("UTC", "America/New_York", "Asia/Tokyo"),
    fiscalYearStartMonth: fc.constantFrom(1, 2, 4, 7),
  }),
  { arbitrary: fc.record({ kind: fc.constant("close" as const), dealNo, date: rawDate, splits }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant("amend" as const),
      dealNo,
      date: fc.option(rawDate, { nil: undefined }),
      splits: fc.option(splits, { nil: undefined }),
    }),
    weight: 2,
  },
  fc.record({ kind: fc.constant("cancel" as const), dealNo, date: rawDate }),
  fc.record({ kind: fc.constant("pay" as const), dealNo, date: rawDate }),
  fc.record({
    kind: fc.constant("quota" as const),
    repId: rep,
    period: fc.constantFrom("2026-Q1", "2026-Q2", "2026-03", "FY2026"),
  }),
  fc.record({
    kind: fc.constant("adjust" as const),
    repId: rep,
    period: fc.constantFrom("2026-02", "2026-06"),
  }),
  fc.record({ kind: fc.constant("fx" as const), date: plainDate }),
  fc.record({ kind: fc.constant("terminate" as const), repId: rep, date: plainDate }),
);

/** Half the histories start with every plan published and assigned, so that overlays and links matter. */
const prologue: fc.Arbitrary<Command[]> = fc.option(
  fc
    .array(fc.integer({ min: 0, max: 3 }), { minLength: REPS.length, maxLength: REPS.length })
    .map((plans) => [
      ...PLAN_SHAPES.map((_, planNo): Command => ({ kind: "publish", planNo })),
      ...REPS.map(
        (repId, i): Command => ({
          kind: "assign",
          repId,
          planNo: plans[i] ?? 0,
          from: "2026-01-01",
          to: undefined,
        }),
      ),
    ]),
  { nil: [] },
);

function event<T extends EventType>(type: T, eventId: string, data: EventData[T]): DomainEvent {
  return parseEventOrThrow(makeEvent(type, eventId, data));
}

function toEvent(c: Command, i: number): DomainEvent {
  const id = `e${i}`;
  switch (c.kind) {
    case "publish": {
      const definition = plan(PLAN_SHAPES[c.planNo] ?? PLAN_SHAPES[0]) as unknown as Record<string, unknown>;
      return event("PlanVersionPublished", id, { planId: `p${c.planNo}`, version: 1, name: "P", definition });
    }
    case "assign":
      return event("PlanAssigned", id, {
        repId: c.repId,
        planId: `p${c.planNo}`,
        version: 1,
        effectiveFrom: c.from,
        ...(c.to === undefined || c.to < c.from ? {} : { effectiveTo: c.to }),
      });
    case "onboard":
      return event("RepOnboarded", id, {
        repId: c.repId,
        name: c.repId,
        planCurrency: "USD",
        hireDate: "2026-01-01",
        ...(c.managerId === undefined ? {} : { managerId: c.managerId }),
      });
    case "manager":
      return event("RepManagerChanged", id, {
        repId: c.repId,
        managerId: c.managerId,
        effectiveDate: c.date,
      });
    case "calendar":
      return event("CalendarConfigured", id, {
        timeZone: c.timeZone,
        fiscalYearStartMonth: c.fiscalYearStartMonth,
        effectiveFrom: "2026-01-01",
      });
    case "close":
      return event("DealClosed", id, {
        dealId: `D${c.dealNo}`,
        amount: "1000.00",
        currency: "USD",
        closeDate: c.date,
        product: "Widget",
        dealType: "new",
        splits: c.splits,
      });
    case "amend":
      return event("DealAmended", id, {
        dealId: `D${c.dealNo}`,
        ...(c.date === undefined ? {} : { closeDate: c.date }),
        ...(c.splits === undefined ? { amount: "1200.00" } : { splits: c.splits }),
      });
    case "cancel":
      return event("DealCancelled", id, { dealId: `D${c.dealNo}`, cancelDate: c.date, reason: "law" });
    case "pay":
      return event("PaymentReceived", id, {
        paymentId: `P${i}`,
        dealId: `D${c.dealNo}`,
        amount: "100.00",
        currency: "USD",
        receivedDate: c.date,
      });
    case "quota":
      return event("QuotaSet", id, { repId: c.repId, period: c.period, amount: "5000.00", currency: "USD" });
    case "adjust":
      return event("AdjustmentRecorded", id, {
        adjustmentId: `A${i}`,
        repId: c.repId,
        period: c.period,
        amount: "10.00",
        currency: "USD",
        reason: "law",
        author: "ops",
        countsTowardQuota: true,
      });
    case "fx":
      return event("FxRatePublished", id, { base: "EUR", quote: "USD", rate: "1.1", effectiveDate: c.date });
    case "terminate":
      return event("RepTerminated", id, { repId: c.repId, terminationDate: c.date });
  }
}

const PLAIN_DATES = RAW_DATES.filter((d) => d.length === 10);
const FROM_DATES = [undefined, "2026-01-31", "2026-03-31", "2026-05-15", "2026-09-30"] as const;

describe("activity index", () => {
  it("gives the same affected pairs and active quota periods as a full scan, after every event", () => {
    fc.assert(
      fc.property(prologue, fc.array(command, { minLength: 1, maxLength: 40 }), (start, rest) => {
        const commands = [...start, ...rest];
        const log = commands.map((c, i) => ({ globalPosition: (i + 1) * 2, event: toEvent(c, i) }));
        const indexed = new Facts();
        const scanned = new Facts();
        const managers = new Map<string, Set<string>>();
        const reports = new Map<string, Set<string>>();
        for (const recorded of log) {
          indexed.apply(recorded);
          scanned.apply(recorded);
          const e = recorded.event;
          const link =
            e.type === "RepOnboarded"
              ? e.data.managerId
              : e.type === "RepManagerChanged"
                ? e.data.managerId
                : undefined;
          if (link !== undefined && link !== null && "repId" in e.data) {
            const repId = e.data.repId;
            managers.set(repId, (managers.get(repId) ?? new Set()).add(link));
            reports.set(link, (reports.get(link) ?? new Set()).add(repId));
          }
          const affected = referenceAffectedBy(scanned, recorded);
          expect(indexed.affectedBy(recorded)).toEqual(affected);
          // The grouped form the engine files touches with: the same pairs, each rep's periods sorted.
          const grouped = [...indexed.affectedByRep(recorded)]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .flatMap(([repId, periods]) => periods.map((quotaPeriod) => ({ repId, quotaPeriod })));
          expect(grouped).toEqual(affected);
          const p = recorded.globalPosition;
          for (const repId of REPS) {
            // The latest plan lookup (memoized per rep timeline) against the uncached segments of the day.
            for (const date of PLAIN_DATES) {
              const segment = indexed.planSegments(repId, date, date)[0];
              expect(indexed.planLookup(repId, date)).toEqual(
                segment?.lookup ?? { status: "no_plan_assignment" },
              );
            }
            expect(indexed.everManagersOf(repId)).toEqual(reachable(managers, repId));
            expect(indexed.everReportsOf(repId)).toEqual(reachable(reports, repId));
            for (const fromDate of FROM_DATES) {
              expect(indexed.quotaPeriodsWithActivity(repId, p, fromDate)).toEqual(
                referencePeriods(scanned, repId, p, fromDate),
              );
            }
          }
        }
        // As of earlier positions (between events, too) the answers are those of the scan as well.
        const last = indexed.lastPosition;
        for (const p of [1, Math.floor(last / 3), Math.floor(last / 2) + 1, last, last + 10]) {
          for (const repId of REPS) {
            for (const fromDate of FROM_DATES) {
              expect(indexed.quotaPeriodsWithActivity(repId, p, fromDate)).toEqual(
                referencePeriods(scanned, repId, p, fromDate),
              );
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("moves a deal's period when the rep's plan changes its quota period, and back when it is amended away", () => {
    const facts = new Facts();
    let position = 0;
    const apply = (c: Command) => {
      position += 1;
      facts.apply({ globalPosition: position, event: toEvent(c, position) });
    };
    apply({ kind: "publish", planNo: 1 });
    apply({ kind: "publish", planNo: 3 });
    apply({ kind: "onboard", repId: "r2", managerId: undefined });
    apply({ kind: "assign", repId: "r2", planNo: 1, from: "2026-01-01", to: undefined });
    apply({ kind: "close", dealNo: 1, date: "2026-05-20", splits: [{ repId: "r2", share: "1" }] });
    expect(facts.quotaPeriodsWithActivity("r2")).toEqual(["2026-05"]);
    apply({ kind: "assign", repId: "r2", planNo: 3, from: "2026-04-01", to: undefined });
    expect(facts.quotaPeriodsWithActivity("r2")).toEqual(["2026-Q2"]);
    apply({ kind: "amend", dealNo: 1, date: undefined, splits: [{ repId: "r3", share: "1" }] });
    expect(facts.quotaPeriodsWithActivity("r2")).toEqual([]);
    expect(facts.quotaPeriodsWithActivity("r3")).toEqual(["2026-05"]);
    expect(facts.quotaPeriodsWithActivity("r2", 6)).toEqual(["2026-Q2"]);
  });
});
