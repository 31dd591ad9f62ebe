import {
  Decimal,
  type DomainEvent,
  type EventData,
  type EventType,
  makeEvent,
  parseEventOrThrow,
  roundDecimal,
  streamIdFor,
} from "@icm/events";
import fc from "fast-check";
import { addDays } from "../calendar/index.js";
import type { Component, PlanDefinition, RateBand } from "../plan/index.js";

/**
 * A small generated organisation: its plan and every event, in one order that respects each stream. `plan`
 * is version 1; a second version, when generated, is only in the events and keeps version 1's currency,
 * quota period, payout period, measure, cumulation and payment timing kind (so `plan` still says which
 * payout periods statements are for); its rates, overlay, holdback, clawback and draw amount may differ.
 */
export interface Organisation {
  readonly plan: PlanDefinition;
  readonly repIds: readonly string[];
  readonly events: readonly DomainEvent[];
}

const REPS = ["r1", "r2", "r3"] as const;
const PLAN_ID = "gen-plan";

function event<T extends EventType>(type: T, eventId: string, data: EventData[T]): DomainEvent {
  return parseEventOrThrow(makeEvent(type, eventId, data));
}

const cents = (min: number, max: number) =>
  fc.integer({ min, max }).map((n) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`);

const planArb: fc.Arbitrary<PlanDefinition> = fc
  .record({
    method: fc.constantFrom("marginal" as const, "retroactive" as const),
    payoutPeriod: fc.constantFrom("month" as const, "quarter" as const),
    cumulative: fc.constantFrom("period" as const, "period" as const, "ytd" as const),
    timing: fc.constantFrom("on_close" as const, "on_collection" as const),
    holdback: fc.option(
      fc.record({
        fraction: fc.constantFrom("0.1", "0.25"),
        releaseAfterDays: fc.integer({ min: 0, max: 60 }),
      }),
      { nil: undefined },
    ),
    clawback: fc.option(
      fc.record({
        windowDays: fc.integer({ min: 10, max: 120 }),
        method: fc.constantFrom("recompute" as const, "original_rate" as const),
      }),
      { nil: undefined },
    ),
    overlay: fc.boolean(),
    overlayLines: fc.constantFrom("per_deal" as const, "per_report" as const),
    draw: fc.option(
      fc.record({
        recoverable: fc.boolean(),
        cap: fc.option(fc.constantFrom("500.00", "1500.00"), { nil: undefined }),
      }),
      { nil: undefined },
    ),
  })
  .map((p) => {
    const components: Component[] = [
      {
        kind: "rate_table",
        id: "commission",
        name: "Commission",
        method: p.method,
        bands: [
          { from: "0", to: "1", rate: "0.10" },
          { from: "1", to: "1.5", rate: "0.15" },
          { from: "1.5", to: null, rate: "0.20" },
        ],
      },
    ];
    if (p.overlay) {
      // Per-report lines are only valid when paying on close (collection follows each deal).
      const lines = p.timing === "on_close" ? p.overlayLines : "per_deal";
      components.push({ kind: "overlay", id: "overlay", name: "Team overlay", rate: "0.02", lines });
    }
    if (p.draw !== undefined) {
      components.push({
        kind: "draw",
        id: "draw",
        name: "Draw",
        amount: "3000.00",
        recoverable: p.draw.recoverable,
        ...(p.draw.recoverable && p.draw.cap !== undefined ? { recoveryCapPerPeriod: p.draw.cap } : {}),
      });
    }
    return {
      currency: "USD",
      rounding: { mode: "HALF_EVEN", scale: 2 },
      quotaPeriod: "quarter",
      payoutPeriod: p.payoutPeriod,
      measure: "amount",
      cumulative: p.cumulative,
      paymentTiming: { kind: p.timing, ...(p.holdback === undefined ? {} : { holdback: p.holdback }) },
      ...(p.clawback === undefined ? {} : { clawback: p.clawback }),
      components,
    } satisfies PlanDefinition;
  });

const BAND_SETS: readonly (readonly RateBand[])[] = [
  [
    { from: "0", to: "1", rate: "0.12" },
    { from: "1", to: "1.5", rate: "0.18" },
    { from: "1.5", to: null, rate: "0.25" },
  ],
  [
    { from: "0", to: "1", rate: "0.08" },
    { from: "1", to: "1.5", rate: "0.12" },
    { from: "1.5", to: null, rate: "0.16" },
  ],
  [
    { from: "0", to: "0.8", rate: "0.10" },
    { from: "0.8", to: "1.2", rate: "0.14" },
    { from: "1.2", to: null, rate: "0.22" },
  ],
];

/**
 * A second version of the plan and who moves to it: different rates (and band edges), method, overlay rate
 * and overlay lines, effective from a date inside a quarter and inside a month, so that plan stretches cut
 * quota periods and payout periods (monthly and quarterly) of reps and of their managers. With `until`
 * the movers go back to version 1 after it (a later assignment wins over the earlier one's overlap).
 */
const secondPlanArb = fc.record({
  bands: fc.constantFrom(...BAND_SETS),
  method: fc.constantFrom("marginal" as const, "retroactive" as const),
  /** undefined: version 2 has no overlay (a manager loses it mid-period). */
  overlay: fc.option(
    fc.record({
      rate: fc.constantFrom("0.02", "0.03", "0.015"),
      /** "same": version 1's lines (per report when it has no overlay), so a manager moving inside a month
       * often has per-report lines in both stretches of that month. */
      lines: fc.constantFrom("same" as const, "same" as const, "per_deal" as const, "per_report" as const),
    }),
    { nil: undefined, freq: 4 },
  ),
  effectiveFrom: fc.constantFrom(
    "2026-01-20",
    "2026-02-15",
    "2026-03-31",
    "2026-04-02",
    "2026-05-10",
    "2026-06-16",
  ),
  until: fc.option(fc.constantFrom("2026-02-27", "2026-05-20", "2026-06-30"), { nil: undefined }),
  /** Indexes of the reps that move (those beyond the organisation's size are ignored; none left = all). */
  movers: fc.constantFrom<readonly number[]>([0, 1, 2], [0], [0, 1], [1, 2], [1], [0, 2]),
  /** Where among the deals the new version and its assignments are recorded (after that many deals). */
  recordedAfter: fc.nat(),
  /** Version 2's holdback, clawback and draw amount: mostly version 1's, sometimes other terms. */
  holdback: fc.constantFrom("same" as const, "same" as const, "none" as const, "0.2" as const),
  clawback: fc.constantFrom(
    "same" as const,
    "same" as const,
    "none" as const,
    "recompute" as const,
    "original_rate" as const,
  ),
  drawAmount: fc.constantFrom("3000.00", "3000.00", "1000.00"),
});

/** A manager change inside a quarter (overlay organisations with 2–3 reps only). */
const managerChangeArb = fc.record({
  /** Index of the report whose manager changes: r2 or r3. */
  rep: fc.constantFrom(1, 2),
  /** New manager: r1, the other report, or nobody. */
  to: fc.constantFrom("r1" as const, "other" as const, null),
  effectiveDate: fc.constantFrom("2026-02-10", "2026-03-16", "2026-05-15"),
  recordedAfter: fc.nat(),
});

function secondPlanOf(first: PlanDefinition, second: SecondPlan): PlanDefinition {
  const components: Component[] = [];
  for (const c of first.components) {
    if (c.kind === "rate_table") components.push({ ...c, method: second.method, bands: second.bands });
    else if (c.kind === "draw") components.push({ ...c, amount: second.drawAmount });
    else if (c.kind !== "overlay") components.push(c);
  }
  if (second.overlay !== undefined) {
    // Per-report lines are only valid when paying on close (collection follows each deal).
    const firstLines = first.components.find((c) => c.kind === "overlay")?.lines ?? "per_report";
    const wanted = second.overlay.lines === "same" ? firstLines : second.overlay.lines;
    const lines = first.paymentTiming.kind === "on_close" ? wanted : "per_deal";
    components.push({
      kind: "overlay",
      id: "overlay",
      name: "Team overlay v2",
      rate: second.overlay.rate,
      lines,
    });
  }
  const { clawback: firstClawback, ...rest } = first;
  const clawback =
    second.clawback === "same"
      ? firstClawback
      : second.clawback === "none"
        ? undefined
        : { windowDays: second.clawback === "recompute" ? 30 : 45, method: second.clawback };
  const timing = first.paymentTiming.kind;
  const paymentTiming =
    second.holdback === "same"
      ? first.paymentTiming
      : second.holdback === "none"
        ? { kind: timing }
        : { kind: timing, holdback: { fraction: second.holdback, releaseAfterDays: 45 } };
  return { ...rest, paymentTiming, ...(clawback === undefined ? {} : { clawback }), components };
}

type SecondPlan = typeof secondPlanArb extends fc.Arbitrary<infer T> ? T : never;

const dealArb = fc.record({
  amount: cents(100_000, 9_000_000),
  eur: fc.boolean(),
  dayOffset: fc.integer({ min: 0, max: 180 }),
  splits: fc.constantFrom<readonly string[]>(
    ["1"],
    ["0.5", "0.5"],
    ["0.6", "0.4"],
    ["0.33334", "0.33333", "0.33333"],
  ),
  firstRep: fc.integer({ min: 0, max: 2 }),
  /** Negative: a cancellation dated before the close date (bad data the engine must still handle). */
  cancelAfterDays: fc.option(fc.integer({ min: -60, max: 150 }), { nil: undefined }),
  /** Amend the amount to this percentage of the original. */
  amendPercent: fc.option(fc.integer({ min: 50, max: 150 }), { nil: undefined }),
  payments: fc.array(
    fc.record({ afterDays: fc.integer({ min: 0, max: 120 }), percent: fc.integer({ min: 10, max: 70 }) }),
    { maxLength: 3 },
  ),
});

/**
 * 1–3 reps on one plan (r1 manages the others when a plan version has an overlay), quarterly quotas, an
 * EUR→USD rate, 0–15 deals with splits, amendments, payments and cancellations, and up to two manual
 * adjustments. Half the organisations publish a second plan version that some or all reps move to inside a
 * quarter and a month (possibly back again later), and overlay organisations may change a report's manager
 * inside a quarter; both are recorded somewhere among the deals, so a close can come before or after them.
 */
export const organisationArb: fc.Arbitrary<Organisation> = fc
  .record({
    plan: planArb,
    second: fc.option(secondPlanArb, { nil: undefined, freq: 2 }),
    managerChanges: fc.array(managerChangeArb, { maxLength: 2 }),
    repCount: fc.integer({ min: 1, max: 3 }),
    quotas: fc.array(cents(5_000_000, 30_000_000), { minLength: 2, maxLength: 2 }),
    fxRate: fc.constantFrom("1.0850", "1.1", "0.95"),
    deals: fc.array(dealArb, { maxLength: 15 }),
    adjustments: fc.array(
      fc.record({
        rep: fc.integer({ min: 0, max: 2 }),
        month: fc.integer({ min: 1, max: 6 }),
        amount: fc.constantFrom("250.00", "-100.00", "1200.50"),
        countsTowardQuota: fc.boolean(),
      }),
      { maxLength: 2 },
    ),
  })
  .map(({ plan, second, managerChanges, repCount, quotas, fxRate, deals, adjustments }) => {
    const plan2 = second === undefined ? undefined : secondPlanOf(plan, second);
    const hasOverlay = [plan, plan2].some((p) => p?.components.some((c) => c.kind === "overlay"));
    const repIds = REPS.slice(0, repCount);
    const events: DomainEvent[] = [];
    /** Events recorded before deal number `slot` (deals.length: after every deal). */
    const later: { slot: number; events: DomainEvent[] }[] = [];
    if (second !== undefined && plan2 !== undefined) {
      const chosen = second.movers.filter((i) => i < repIds.length).map((i) => repIds[i] as string);
      const movers = chosen.length === 0 ? repIds : chosen;
      const effectiveTo =
        second.until !== undefined && second.until > second.effectiveFrom ? second.until : undefined;
      later.push({
        slot: second.recordedAfter % (deals.length + 1),
        events: [
          event("PlanVersionPublished", "plan-v2", {
            planId: PLAN_ID,
            version: 2,
            name: "Generated v2",
            definition: plan2 as unknown as Record<string, unknown>,
          }),
          ...movers.map((repId) =>
            event("PlanAssigned", `assign-${repId}-v2`, {
              repId,
              planId: PLAN_ID,
              version: 2,
              effectiveFrom: second.effectiveFrom,
              ...(effectiveTo === undefined ? {} : { effectiveTo }),
            }),
          ),
        ],
      });
    }
    if (hasOverlay)
      managerChanges.forEach((m, i) => {
        const repId = repIds[m.rep];
        if (repId === undefined) return;
        const other = repIds[m.rep === 1 ? 2 : 1];
        const managerId = m.to === "r1" ? "r1" : m.to === "other" ? (other ?? null) : null;
        later.push({
          slot: m.recordedAfter % (deals.length + 1),
          events: [
            event("RepManagerChanged", `manager-${repId}-${i}`, {
              repId,
              managerId,
              effectiveDate: m.effectiveDate,
            }),
          ],
        });
      });
    const recordLater = (slot: number) => {
      for (const group of later) if (group.slot === slot) for (const e of group.events) events.push(e);
    };
    events.push(
      event("PlanVersionPublished", "plan-v1", {
        planId: PLAN_ID,
        version: 1,
        name: "Generated",
        definition: plan as unknown as Record<string, unknown>,
      }),
    );
    events.push(
      event("FxRatePublished", "fx-eur-usd", {
        base: "EUR",
        quote: "USD",
        rate: fxRate,
        effectiveDate: "2025-12-01",
      }),
    );
    for (const repId of repIds) {
      events.push(
        event("RepOnboarded", `onboard-${repId}`, {
          repId,
          name: `Rep ${repId}`,
          planCurrency: "USD",
          hireDate: "2026-01-01",
          // With an overlay, r1 manages everyone else.
          ...(hasOverlay && repId !== "r1" ? { managerId: "r1" } : {}),
        }),
      );
      events.push(
        event("PlanAssigned", `assign-${repId}`, {
          repId,
          planId: PLAN_ID,
          version: 1,
          effectiveFrom: "2026-01-01",
        }),
      );
      events.push(
        event("QuotaSet", `quota-${repId}-q1`, {
          repId,
          period: "2026-Q1",
          amount: quotas[0] ?? "100000.00",
          currency: "USD",
        }),
      );
      events.push(
        event("QuotaSet", `quota-${repId}-q2`, {
          repId,
          period: "2026-Q2",
          amount: quotas[1] ?? "100000.00",
          currency: "USD",
        }),
      );
    }
    deals.forEach((d, index) => {
      recordLater(index);
      const dealId = `D${index + 1}`;
      const closeDate = addDays("2026-01-01", d.dayOffset);
      const shares = d.splits.slice(0, repIds.length === 1 ? 1 : d.splits.length);
      const splits = (shares.length === d.splits.length ? shares : ["1"]).map((share, i) => ({
        repId: repIds[(d.firstRep + i) % repIds.length] as string,
        share,
      }));
      // Two splits to the same rep are merged into one share (a rep appears once per deal).
      const merged = new Map<string, string>();
      for (const s of splits) merged.set(s.repId, merged.has(s.repId) ? "1" : s.share);
      const finalSplits =
        merged.size === splits.length ? splits : [{ repId: splits[0]?.repId ?? "r1", share: "1" }];
      const currency = d.eur ? "EUR" : "USD";
      events.push(
        event("DealClosed", `deal-${dealId}`, {
          dealId,
          amount: d.amount,
          currency,
          closeDate,
          product: "Widget",
          dealType: "new",
          splits: finalSplits,
        }),
      );
      if (d.amendPercent !== undefined) {
        const amended = roundDecimal(
          new Decimal(d.amount).times(d.amendPercent).dividedBy(100),
          2,
          "HALF_EVEN",
        );
        events.push(
          event("DealAmended", `amend-${dealId}`, {
            dealId,
            amount: amended.toFixed(2),
            reason: "generated",
          }),
        );
      }
      d.payments.forEach((p, i) => {
        const amount = roundDecimal(
          new Decimal(d.amount).times(p.percent).dividedBy(100),
          2,
          "HALF_EVEN",
        ).toFixed(2);
        events.push(
          event("PaymentReceived", `pay-${dealId}-${i}`, {
            paymentId: `${dealId}-P${i}`,
            dealId,
            amount,
            currency,
            receivedDate: addDays(closeDate, p.afterDays),
          }),
        );
      });
      if (d.cancelAfterDays !== undefined) {
        events.push(
          event("DealCancelled", `cancel-${dealId}`, {
            dealId,
            cancelDate: addDays(closeDate, d.cancelAfterDays),
            reason: "generated",
          }),
        );
      }
    });
    recordLater(deals.length);
    adjustments.forEach((a, i) => {
      const repId = repIds[a.rep % repIds.length] as string;
      events.push(
        event("AdjustmentRecorded", `adjust-${i}`, {
          adjustmentId: `A${i}`,
          repId,
          period: `2026-0${a.month}`,
          amount: a.amount,
          currency: "USD",
          reason: "generated",
          author: "ops",
          countsTowardQuota: a.countsTowardQuota,
        }),
      );
    });
    return { plan, repIds, events };
  });

/**
 * Merges the events' streams in the order `choices` dictates, keeping each stream's own order (what the
 * store guarantees: a total order consistent with per-stream order).
 */
export function interleave(events: readonly DomainEvent[], choices: readonly number[]): DomainEvent[] {
  const streams = new Map<string, DomainEvent[]>();
  for (const e of events) {
    const id = streamIdFor(e);
    const list = streams.get(id);
    if (list === undefined) streams.set(id, [e]);
    else list.push(e);
  }
  const queues = [...streams.values()];
  const out: DomainEvent[] = [];
  let step = 0;
  while (out.length < events.length) {
    const open = queues.filter((q) => q.length > 0);
    const pick = open[(choices[step % Math.max(1, choices.length)] ?? 0) % open.length] as DomainEvent[];
    out.push(pick.shift() as DomainEvent);
    step += 1;
  }
  return out;
}
