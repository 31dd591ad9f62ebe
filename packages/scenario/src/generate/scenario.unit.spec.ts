import { COMPONENT_KINDS, type PlanDefinition, parsePlanDefinition } from "@icm/engine";
import { canonicalJson, Decimal, type DomainEvent, type EventData, parseEvent } from "@icm/events";
import { beforeAll, describe, expect, it } from "vitest";
import { generateScenario, type Scenario, scenarioEvents } from "./scenario.js";

const BASE = { seed: 20260101, reps: 40, deals: 2_000, quarters: 4, startQuarter: "2026-Q1" } as const;

function ofType<T extends DomainEvent["type"]>(events: readonly DomainEvent[], type: T) {
  return events.filter((e): e is Extract<DomainEvent, { type: T }> => e.type === type);
}

function quarterBounds(period: string): { first: string; last: string } {
  const year = Number(period.slice(0, 4));
  const firstMonth = (Number(period.slice(6)) - 1) * 3 + 1;
  const first = `${year}-${String(firstMonth).padStart(2, "0")}-01`;
  const next =
    firstMonth === 10 ? `${year + 1}-01-01` : `${year}-${String(firstMonth + 3).padStart(2, "0")}-01`;
  return { first, last: new Date(Date.parse(`${next}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10) };
}

function daysBetween(a: string, b: string): number {
  return (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;
}

describe("generateScenario: a 2,000-deal history", () => {
  let scenario: Scenario;
  let events: DomainEvent[];
  beforeAll(() => {
    scenario = generateScenario({ ...BASE, lateDealCount: 3 });
    events = scenario.events;
  });

  it("every event passes parseEvent unchanged, and every event id is unique", () => {
    for (const event of events) {
      const parsed = parseEvent(JSON.parse(JSON.stringify(event)));
      if (!parsed.ok) throw new Error(`${event.eventId}: ${JSON.stringify(parsed.issues)}`);
      expect(canonicalJson(parsed.value)).toBe(canonicalJson(event));
    }
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(scenario.summary.eventCount).toBe(events.length);
    expect(ofType(events, "DealClosed")).toHaveLength(2_000);
  });

  it("is deterministic: the same seed gives the same bytes, another seed a different history", () => {
    const again = generateScenario({ ...BASE, lateDealCount: 3 });
    expect(canonicalJson(again.events)).toBe(canonicalJson(events));
    expect(canonicalJson(again.summary)).toBe(canonicalJson(scenario.summary));
    const other = generateScenario({ ...BASE, seed: BASE.seed + 1, lateDealCount: 3 });
    expect(canonicalJson(other.events)).not.toBe(canonicalJson(events));
  });

  it("publishes plans that the engine's plan language accepts and that use most of it", () => {
    const published = ofType(events, "PlanVersionPublished");
    expect(published.length).toBeGreaterThanOrEqual(5);
    const definitions: PlanDefinition[] = published.map((event) => {
      const result = parsePlanDefinition(event.data.definition);
      if (!result.ok) throw new Error(`${event.eventId}: ${JSON.stringify(result.issues)}`);
      return result.value;
    });
    const components = definitions.flatMap((d) => d.components);
    expect(new Set(components.map((c) => c.kind))).toEqual(new Set(COMPONENT_KINDS));
    const tables = components.filter((c) => c.kind === "rate_table");
    expect(new Set(tables.map((t) => t.method))).toEqual(new Set(["marginal", "retroactive"]));
    expect(
      tables.some((t) => t.bands.some((b) => b.multiplier !== undefined && new Decimal(b.multiplier).gt(1))),
    ).toBe(true);
    expect(
      tables.some((t) => t.bands.some((b) => b.multiplier !== undefined && new Decimal(b.multiplier).lt(1))),
    ).toBe(true);
    expect(tables.some((t) => t.gate !== undefined && t.attainmentCap !== undefined)).toBe(true);
    expect(
      components.some(
        (c) => c.kind === "spiff" && c.filter.products !== undefined && c.filter.closeDateFrom !== undefined,
      ),
    ).toBe(true);
    const draws = components.filter((c) => c.kind === "draw");
    expect(new Set(draws.map((d) => d.recoverable))).toEqual(new Set([true, false]));
    expect(new Set(definitions.map((d) => d.clawback?.method))).toEqual(
      new Set(["recompute", "original_rate"]),
    );
    expect(
      definitions.some(
        (d) => d.paymentTiming.kind === "on_collection" && d.paymentTiming.holdback !== undefined,
      ),
    ).toBe(true);
    expect(new Set(definitions.map((d) => d.cumulative))).toEqual(new Set(["period", "ytd"]));
    expect(new Set(definitions.map((d) => d.measure))).toEqual(new Set(["amount", "margin"]));
    expect(components.some((c) => "earningsCap" in c && c.earningsCap?.perPeriod !== undefined)).toBe(true);
    expect(components.some((c) => "earningsCap" in c && c.earningsCap?.perYear !== undefined)).toBe(true);
  });

  it("credits deals in 1 to 3 splits to distinct reps, with shares summing to exactly 1", () => {
    const splitCounts = new Set<number>();
    for (const { data } of ofType(events, "DealClosed")) {
      const total = data.splits.reduce((sum, split) => sum.plus(split.share), new Decimal(0));
      expect(total.eq(1), `${data.dealId} shares sum to ${total.toFixed()}`).toBe(true);
      expect(new Set(data.splits.map((s) => s.repId)).size).toBe(data.splits.length);
      splitCounts.add(data.splits.length);
    }
    expect([...splitCounts].sort()).toEqual([1, 2, 3]);
  });

  it("orders the log: set-up first, then deals by close date with their consequences after them", () => {
    const setup = [
      "CalendarConfigured",
      "FxRatePublished",
      "PlanVersionPublished",
      "RepOnboarded",
      "PlanAssigned",
      "QuotaSet",
    ];
    const firstDeal = events.findIndex((e) => e.type === "DealClosed");
    const setupTypes = events.slice(0, firstDeal).map((e) => e.type);
    expect(setupTypes[0]).toBe("CalendarConfigured");
    const firstIndexOf = setup.map((type) => setupTypes.indexOf(type as DomainEvent["type"]));
    expect(firstIndexOf).toEqual([...firstIndexOf].sort((a, b) => a - b));

    const late = new Set(scenario.summary.lateDeals.map((d) => d.eventId));
    let previous = "";
    const position = new Map<string, number>();
    const onboarded = new Map<string, string>();
    events.forEach((event, index) => {
      if (event.type === "RepOnboarded") onboarded.set(event.data.repId, event.data.hireDate);
      if (event.type === "DealClosed") {
        position.set(event.data.dealId, index);
        for (const split of event.data.splits) {
          const hired = onboarded.get(split.repId);
          expect(hired, `${split.repId} credited before being onboarded`).toBeDefined();
          expect((hired as string) <= event.data.closeDate).toBe(true);
        }
        if (!late.has(event.eventId)) {
          expect(event.data.closeDate >= previous).toBe(true);
          previous = event.data.closeDate as string;
        }
      }
      if (event.type === "DealCancelled" || event.type === "PaymentReceived") {
        expect(position.get(event.data.dealId)).toBeLessThan(index);
      }
    });
  });

  it("builds a VP → directors → managers → reps hierarchy of about eight reps per manager", () => {
    const { org } = scenario.summary;
    const managerOf = new Map(
      ofType(events, "RepOnboarded").map((e) => [e.data.repId, e.data.managerId ?? null]),
    );
    expect(managerOf.get(org.vp)).toBeNull();
    for (const director of org.directors) expect(managerOf.get(director)).toBe(org.vp);
    for (const manager of org.managers) expect(org.directors).toContain(managerOf.get(manager));
    const teamSizes = org.managers.map((m) => org.reps.filter((r) => managerOf.get(r) === m).length);
    for (const size of teamSizes) expect(size).toBeGreaterThanOrEqual(6);
    for (const size of teamSizes) expect(size).toBeLessThanOrEqual(8);
    expect(org.reps).toHaveLength(BASE.reps);
    expect(org.managerChanges.length).toBeGreaterThanOrEqual(1);
    expect(ofType(events, "RepManagerChanged").map((e) => e.data.repId)).toEqual(
      org.managerChanges.map((c) => c.repId),
    );
  });

  it("hires at least one rep mid-quarter, on the ramp plan with a recoverable draw, with a quota", () => {
    const { org, periods } = scenario.summary;
    expect(org.newHires.length).toBeGreaterThanOrEqual(1);
    for (const repId of org.newHires) {
      const hire = ofType(events, "RepOnboarded").find((e) => e.data.repId === repId);
      const hireDate = hire?.data.hireDate as string;
      const quarter = periods.map(quarterBounds).find((q) => q.first <= hireDate && hireDate <= q.last);
      expect(quarter, `${repId} hired inside the scenario`).toBeDefined();
      expect(hireDate > (quarter?.first as string) && hireDate < (quarter?.last as string)).toBe(true);
      const assignments = ofType(events, "PlanAssigned").filter((e) => e.data.repId === repId);
      expect(assignments[0]?.data).toMatchObject({ planId: "ae-new-hire", effectiveFrom: hireDate });
      const quotas = ofType(events, "QuotaSet").filter((e) => e.data.repId === repId);
      expect(quotas.length).toBeGreaterThan(0);
      for (const q of quotas) expect(periods).toContain(q.data.period);
    }
  });

  it("records quotas for every person and quarter, in USD", () => {
    const { org, periods } = scenario.summary;
    const starting = [
      org.vp,
      ...org.directors,
      ...org.managers,
      ...org.reps.filter((r) => !org.newHires.includes(r)),
    ];
    const quotas = new Set(ofType(events, "QuotaSet").map((e) => `${e.data.repId}/${e.data.period}`));
    for (const person of starting)
      for (const period of periods) expect(quotas.has(`${person}/${period}`)).toBe(true);
    for (const quota of ofType(events, "QuotaSet")) expect(quota.data.currency).toBe("USD");
  });

  it("converts every foreign deal with a rate published on or before its close date", () => {
    const rates = ofType(events, "FxRatePublished");
    const bases = new Set(rates.map((r) => r.data.base));
    expect(bases).toEqual(new Set(["EUR", "GBP", "JPY"]));
    const deals = ofType(events, "DealClosed");
    expect(new Set(deals.map((d) => d.data.currency))).toEqual(new Set(["USD", "EUR", "GBP", "JPY"]));
    const firstRate = new Map<string, string>();
    for (const r of rates) if (!firstRate.has(r.data.base)) firstRate.set(r.data.base, r.data.effectiveDate);
    for (const deal of deals) {
      if (deal.data.currency === "USD") continue;
      expect((firstRate.get(deal.data.currency) as string) <= (deal.data.closeDate as string)).toBe(true);
    }
    // EUR and GBP are published every weekday, JPY weekly (the default "mixed" cadence).
    const perBase = (base: string) => rates.filter((r) => r.data.base === base).length;
    expect(perBase("EUR")).toBeGreaterThan(4 * perBase("JPY"));
  });

  it("cancels some deals inside and some outside every clawback window, as counted in the summary", () => {
    const closeDates = new Map(
      ofType(events, "DealClosed").map((d) => [d.data.dealId, d.data.closeDate as string]),
    );
    let inside = 0;
    let outside = 0;
    for (const cancel of ofType(events, "DealCancelled")) {
      const days = daysBetween(
        closeDates.get(cancel.data.dealId) as string,
        cancel.data.cancelDate as string,
      );
      if (days <= 90) inside += 1;
      else if (days > 180) outside += 1;
    }
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBeGreaterThan(0);
    expect({ insideWindow: inside, outsideWindow: outside }).toEqual(scenario.summary.cancellations);
  });

  it("pays collection-plan deals in at most the deal amount, after the deal closed", () => {
    const deals = new Map(ofType(events, "DealClosed").map((d) => [d.data.dealId, d.data]));
    const paid = new Map<string, Decimal>();
    const payments = ofType(events, "PaymentReceived");
    expect(payments.length).toBe(scenario.summary.payments);
    expect(payments.length).toBeGreaterThan(0);
    for (const payment of payments) {
      const deal = deals.get(payment.data.dealId) as EventData["DealClosed"];
      expect(payment.data.currency).toBe(deal.currency);
      expect((payment.data.receivedDate as string) > (deal.closeDate as string)).toBe(true);
      paid.set(deal.dealId, (paid.get(deal.dealId) ?? new Decimal(0)).plus(payment.data.amount));
    }
    for (const [dealId, total] of paid)
      expect(total.lte((deals.get(dealId) as EventData["DealClosed"]).amount)).toBe(true);
  });

  it("records adjustments, one per quarter counting toward quota", () => {
    const adjustments = ofType(events, "AdjustmentRecorded");
    const towardQuota = adjustments.filter((a) => a.data.countsTowardQuota);
    expect(towardQuota.map((a) => a.data.period)).toEqual(scenario.summary.periods);
    expect(adjustments.some((a) => !a.data.countsTowardQuota)).toBe(true);
  });

  it("places late deals after their quarter's close point", () => {
    const { lateDeals, quarterCloses } = scenario.summary;
    expect(lateDeals).toHaveLength(3);
    for (const late of lateDeals) {
      const close = quarterCloses.find((c) => c.period === late.period);
      expect(close).toBeDefined();
      expect(late.eventIndex).toBeGreaterThanOrEqual(close?.eventIndex as number);
      const event = events[late.eventIndex];
      expect(event?.eventId).toBe(late.eventId);
      const closeDate = (event as Extract<DomainEvent, { type: "DealClosed" }>).data.closeDate as string;
      expect(closeDate.slice(0, 4)).toBe(late.period.slice(0, 4));
      expect(closeDate <= (close?.closeDate as string)).toBe(true);
    }
    // Every other deal of a quarter was recorded before that quarter closed.
    for (const close of quarterCloses) {
      const lastDay = quarterBounds(close.period).last;
      const after = ofType(events.slice(close.eventIndex), "DealClosed").filter(
        (deal) => !lateDeals.some((l) => l.eventId === deal.eventId),
      );
      for (const deal of after) expect((deal.data.closeDate as string) > lastDay).toBe(true);
    }
  });
});

describe("scenarioEvents (streaming)", () => {
  it("yields exactly the events of generateScenario and returns the same summary", () => {
    const options = {
      seed: 99,
      reps: 12,
      deals: 300,
      quarters: 2,
      startQuarter: "2027-Q3",
      lateDealCount: 1,
      invalidRate: 0.02,
      duplicateRate: 0.02,
    };
    const array = generateScenario(options);
    const streamed: DomainEvent[] = [];
    const stream = scenarioEvents(options);
    let step = stream.next();
    for (; !step.done; step = stream.next()) streamed.push(step.value);
    // JSON.stringify, not canonicalJson: injected invalid events may hold floats, which canonical JSON refuses.
    expect(JSON.stringify(streamed)).toBe(JSON.stringify(array.events));
    expect(step.value).toEqual(array.summary);
  });

  function drain(options: Parameters<typeof scenarioEvents>[0]) {
    let deals = 0;
    let events = 0;
    let outOfOrder = 0;
    let lastClose = "";
    const stream = scenarioEvents(options);
    let step = stream.next();
    for (; !step.done; step = stream.next()) {
      events += 1;
      if (step.value.type === "DealClosed") {
        deals += 1;
        const closeDate = step.value.data.closeDate as string;
        if (closeDate < lastClose) outOfOrder += 1;
        lastClose = closeDate;
      }
    }
    expect(outOfOrder).toBe(0);
    return { deals, events, summary: step.value };
  }

  it("streams 100,000 deals holding only a few months of follow-ups, however long the history", () => {
    const long = drain({ seed: 5, reps: 400, deals: 100_000, quarters: 8, startQuarter: "2026-Q1" });
    expect(long.deals).toBe(100_000);
    expect(long.summary.eventCount).toBe(long.events);
    expect(long.summary.countsByType.DealClosed).toBe(100_000);
    // Events held back at once are the follow-ups (cancellations, payments) of the next months: they
    // depend on the deal density, not on the length of the history. Same density over a quarter of the
    // time gives about the same peak, so a million deals stream in the same memory as a hundred thousand.
    const short = drain({ seed: 5, reps: 400, deals: 25_000, quarters: 2, startQuarter: "2026-Q1" });
    expect(long.summary.peakPendingEvents).toBeGreaterThan(0);
    expect(long.summary.peakPendingEvents).toBeLessThan(100_000 / 10);
    expect(long.summary.peakPendingEvents).toBeLessThan(1.5 * short.summary.peakPendingEvents);
  });
});

describe("injected faults", () => {
  const options = { seed: 3, reps: 16, deals: 600, quarters: 2, startQuarter: "2026-Q1" } as const;
  const clean = generateScenario(options);
  const noisy = generateScenario({ ...options, invalidRate: 0.05, duplicateRate: 0.03 });

  it("invalid events break their schema in varied fields, and the rejection names the field", () => {
    const { invalidEvents } = noisy.summary;
    expect(invalidEvents.length).toBeGreaterThan(20);
    expect(new Set(invalidEvents.map((i) => i.field)).size).toBeGreaterThanOrEqual(6);
    for (const injected of invalidEvents) {
      const event = noisy.events[injected.eventIndex];
      expect(event?.eventId).toBe(injected.eventId);
      const result = parseEvent(event);
      expect(result.ok, `${injected.eventId} (${injected.describe}) should be rejected`).toBe(false);
      if (!result.ok) {
        const paths = result.issues.map((i) => i.path);
        expect(
          paths.some(
            (p) =>
              p === injected.field ||
              p.startsWith(`${injected.field}.`) ||
              p.startsWith(`${injected.field}[`),
          ),
          `${injected.describe}: ${paths.join(", ")}`,
        ).toBe(true);
      }
    }
  });

  it("duplicates repeat an earlier event with the same id and content", () => {
    const { duplicateEvents } = noisy.summary;
    expect(duplicateEvents.length).toBeGreaterThan(5);
    for (const duplicate of duplicateEvents) {
      const event = noisy.events[duplicate.eventIndex] as DomainEvent;
      const original = noisy.events.findIndex((e) => e.eventId === event.eventId);
      expect(original).toBeLessThan(duplicate.eventIndex);
      expect(canonicalJson(noisy.events[original])).toBe(canonicalJson(event));
    }
  });

  it("injection only adds events: removing them gives the clean history byte for byte", () => {
    const injected = new Set(
      [...noisy.summary.invalidEvents, ...noisy.summary.duplicateEvents].map((i) => i.eventIndex),
    );
    const remaining = noisy.events.filter((_, index) => !injected.has(index));
    expect(canonicalJson(remaining)).toBe(canonicalJson(clean.events));
  });
});

describe("options", () => {
  it("rejects impossible options with a message naming the option", () => {
    expect(() => generateScenario({ ...BASE, reps: 1 })).toThrow(/reps/);
    expect(() => generateScenario({ ...BASE, deals: -1 })).toThrow(/deals/);
    expect(() => generateScenario({ ...BASE, quarters: 0 })).toThrow(/quarters/);
    expect(() => generateScenario({ ...BASE, startQuarter: "2026-Q0" })).toThrow(/quarter id/);
    expect(() => generateScenario({ ...BASE, currencies: ["XYZ"] })).toThrow(/XYZ/);
    expect(() => generateScenario({ ...BASE, cancellationRate: 2 })).toThrow(/cancellationRate/);
    expect(() => generateScenario({ ...BASE, lateDealCount: 3000 })).toThrow(/lateDealCount/);
  });

  it("honours a currency list and a weekly FX cadence", () => {
    const { events } = generateScenario({
      ...BASE,
      deals: 200,
      currencies: ["USD", "CHF"],
      fxCadence: "weekly",
    });
    expect(new Set(ofType(events, "DealClosed").map((d) => d.data.currency))).toEqual(
      new Set(["USD", "CHF"]),
    );
    const rates = ofType(events, "FxRatePublished");
    expect(new Set(rates.map((r) => r.data.base))).toEqual(new Set(["CHF"]));
    expect(rates.length).toBeLessThanOrEqual(60);
  });
});
