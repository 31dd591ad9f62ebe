import { Decimal, type DomainEvent, type EventData, makeEvent } from "@icm/events";
import { Facts } from "../facts/index.js";
import type { CalculationException, EntryKind, LedgerEntry } from "../ledger/types.js";
import type { Component, PlanDefinition } from "../plan/types.js";
import { computeEarnings } from "./compute.js";
import type { QuotaPeriodEarnings } from "./types.js";

/**
 * Given/When/Then helpers for earnings tests: `given(...events)` applies events at positions 1, 2, ...;
 * `when(repId, quotaPeriod)` computes; the `then*` helpers read entries as plain strings so expectations
 * stay readable ("6000", not Decimal objects).
 */
export class Scenario {
  readonly facts = new Facts();
  private position = 0;
  private readonly counters = new Map<string, number>();

  given(...events: DomainEvent[]): this {
    for (const event of events) {
      this.position += 1;
      this.facts.apply({ globalPosition: this.position, event });
    }
    return this;
  }

  /** The log position of the last applied event. */
  get at(): number {
    return this.position;
  }

  when(repId: string, quotaPeriod: string, throughPosition?: number): QuotaPeriodEarnings {
    return computeEarnings(this.facts, {
      repId,
      quotaPeriod,
      ...(throughPosition === undefined ? {} : { throughPosition }),
    });
  }

  /** A fresh deterministic event id per type: "DealClosed-1", "DealClosed-2", ... */
  nextId(type: string): string {
    const n = (this.counters.get(type) ?? 0) + 1;
    this.counters.set(type, n);
    return `${type}-${n}`;
  }

  calendar(timeZone: string, fiscalYearStartMonth = 1): DomainEvent {
    return ev("CalendarConfigured", this.nextId("cal"), {
      timeZone,
      fiscalYearStartMonth,
      effectiveFrom: "2020-01-01",
    });
  }

  rep(
    repId: string,
    options: { hireDate?: string; managerId?: string | null; currency?: string } = {},
  ): DomainEvent {
    return ev("RepOnboarded", `onboard-${repId}`, {
      repId,
      name: `Rep ${repId}`,
      planCurrency: options.currency ?? "USD",
      hireDate: options.hireDate ?? "2020-01-01",
      ...(options.managerId === undefined ? {} : { managerId: options.managerId }),
    });
  }

  manager(repId: string, managerId: string | null, effectiveDate: string): DomainEvent {
    return ev("RepManagerChanged", this.nextId("mgr"), { repId, managerId, effectiveDate });
  }

  plan(planId: string, definition: PlanDefinition, version = 1): DomainEvent {
    return ev("PlanVersionPublished", `plan-${planId}-v${version}`, {
      planId,
      version,
      name: `Plan ${planId}`,
      definition: definition as unknown as Record<string, unknown>,
    });
  }

  assign(
    repId: string,
    planId: string,
    effectiveFrom = "2020-01-01",
    effectiveTo: string | null = null,
    version = 1,
  ): DomainEvent {
    return ev("PlanAssigned", this.nextId("assign"), { repId, planId, version, effectiveFrom, effectiveTo });
  }

  quota(repId: string, period: string, amount: string, currency = "USD"): DomainEvent {
    return ev("QuotaSet", this.nextId("quota"), { repId, period, amount, currency });
  }

  deal(
    dealId: string,
    amount: string,
    closeDate: string,
    options: {
      splits?: [string, string][];
      repId?: string;
      currency?: string;
      product?: string;
      dealType?: string;
      margin?: string;
    } = {},
  ): DomainEvent {
    const splits = options.splits ?? [[options.repId ?? "ana", "1"]];
    return ev("DealClosed", `close-${dealId}`, {
      dealId,
      amount,
      currency: options.currency ?? "USD",
      closeDate,
      product: options.product ?? "widget",
      dealType: options.dealType ?? "new",
      ...(options.margin === undefined ? {} : { margin: options.margin }),
      splits: splits.map(([repId, share]) => ({ repId, share })),
    });
  }

  amend(dealId: string, fields: Omit<EventData["DealAmended"], "dealId">): DomainEvent {
    return ev("DealAmended", this.nextId(`amend-${dealId}`), { dealId, ...fields });
  }

  cancel(dealId: string, cancelDate: string): DomainEvent {
    return ev("DealCancelled", `cancel-${dealId}`, { dealId, cancelDate, reason: "customer withdrew" });
  }

  fx(base: string, quote: string, rate: string, effectiveDate: string): DomainEvent {
    return ev("FxRatePublished", this.nextId("fx"), { base, quote, rate, effectiveDate });
  }

  adjustment(
    adjustmentId: string,
    repId: string,
    period: string,
    amount: string,
    countsTowardQuota: boolean,
    currency = "USD",
  ): DomainEvent {
    return ev("AdjustmentRecorded", `adj-${adjustmentId}`, {
      adjustmentId,
      repId,
      period,
      amount,
      currency,
      reason: "manual correction",
      author: "finance@example.com",
      countsTowardQuota,
    });
  }
}

function ev<T extends keyof EventData>(type: T, eventId: string, data: EventData[T]): DomainEvent {
  return makeEvent(type, eventId, data) as DomainEvent;
}

/** A plan definition with the §8 defaults (USD, HALF_EVEN to cents, quarterly quota, monthly payout). */
export function planDefinition(
  components: Component[],
  overrides: Partial<PlanDefinition> = {},
): PlanDefinition {
  return {
    currency: "USD",
    rounding: { mode: "HALF_EVEN", scale: 2 },
    quotaPeriod: "quarter",
    payoutPeriod: "month",
    measure: "amount",
    cumulative: "period",
    paymentTiming: { kind: "on_close" },
    components,
    ...overrides,
  };
}

/** DOMAIN.md §8 bands: 0–100% at 10%, 100–150% at 15%, above 150% at 20%. */
export function section8Table(
  method: "marginal" | "retroactive",
  extra: Partial<Component & { kind: "rate_table" }> = {},
): Component {
  return {
    kind: "rate_table",
    id: "commission",
    name: "Commission",
    method,
    bands: [
      { from: "0", to: "1", rate: "0.10" },
      { from: "1", to: "1.5", rate: "0.15" },
      { from: "1.5", to: null, rate: "0.20" },
    ],
    ...extra,
  } as Component;
}

/** "kind:dealId=amount" lines for compact expectations, in ledger order. */
export function lines(result: QuotaPeriodEarnings, kinds?: readonly EntryKind[]): string[] {
  return result.entries
    .filter((e) => kinds === undefined || kinds.includes(e.kind))
    .map((e) => `${e.kind}:${e.dealId ?? e.id.split("/")[3] ?? ""}=${e.amount.toFixed()}`);
}

/** Sum of the amounts of the given kinds (all when omitted), as a plain decimal string. */
export function total(entries: readonly LedgerEntry[], kinds?: readonly EntryKind[]): string {
  return entries
    .filter((e) => kinds === undefined || kinds.includes(e.kind))
    .reduce((sum, e) => sum.plus(e.amount), new Decimal(0))
    .toFixed();
}

export function exceptionCodes(
  result: { exceptions: readonly CalculationException[] } | readonly CalculationException[],
): string[] {
  const list = Array.isArray(result)
    ? result
    : (result as { exceptions: readonly CalculationException[] }).exceptions;
  return list.map((e: CalculationException) => `${e.code}${e.dealId === undefined ? "" : `:${e.dealId}`}`);
}
