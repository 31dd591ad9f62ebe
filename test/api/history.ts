import { type PlanDefinition, SECTION_8_PLAN } from "@icm/engine";
import { type DomainEvent, type EventData, type EventType, makeEvent } from "@icm/events";

// The organisation the API tests run on: DOMAIN.md §8's plan and deals, twice — once under a plan that claws
// back by recompute (ana) and once at the original rate (oli) — in a three-level hierarchy:
//
//   vp ─┬─ mia ─┬─ ana   (plan p8-recompute: deals D1 60,000 / D2 70,000 / D3 50,000 in 2026-Q1)
//       │       └─ ben   (plan p8-recompute: one deal B1 33,333.33)
//       └─ cal ─── oli   (plan p8-original: deals O1 / O2 / O3, the same amounts as ana's)

export const ev = <T extends EventType>(type: T, eventId: string, data: EventData[T]): DomainEvent =>
  makeEvent(type, eventId, data, { source: "api-test" }) as DomainEvent;

/** §8's plan paid quarterly with a 90-day clawback by the given method. */
export function section8Plan(method: "recompute" | "original_rate"): PlanDefinition {
  return { ...SECTION_8_PLAN, payoutPeriod: "quarter", clawback: { windowDays: 90, method } };
}

export const REPS = ["ana", "ben", "cal", "mia", "oli", "vp"] as const;

const onboard = (repId: string, managerId?: string): DomainEvent =>
  ev("RepOnboarded", `onboard-${repId}`, {
    repId,
    name: repId.toUpperCase(),
    planCurrency: "USD",
    hireDate: "2025-01-01",
    ...(managerId === undefined ? {} : { managerId }),
  });

export const deal = (dealId: string, amount: string, closeDate: string, repId: string): DomainEvent =>
  ev("DealClosed", `deal-${dealId}`, {
    dealId,
    amount,
    currency: "USD",
    closeDate,
    product: "Widget",
    dealType: "new",
    splits: [{ repId, share: "1" }],
  });

/** Organisation, quotas and Q1 deals: what the CRM and HR feeds send through the ingest pipeline. */
export function organisationAndDeals(): DomainEvent[] {
  const quotas = ["ana", "ben", "oli"].flatMap((repId) =>
    ["2026-Q1", "2026-Q2"].map((period) =>
      ev("QuotaSet", `quota-${repId}-${period}`, { repId, period, amount: "100000.00", currency: "USD" }),
    ),
  );
  return [
    onboard("vp"),
    onboard("mia", "vp"),
    onboard("cal", "vp"),
    onboard("ana", "mia"),
    onboard("ben", "mia"),
    onboard("oli", "cal"),
    ...quotas,
    deal("D1", "60000.00", "2026-01-15", "ana"),
    deal("D2", "70000.00", "2026-02-10", "ana"),
    deal("D3", "50000.00", "2026-03-05", "ana"),
    deal("B1", "33333.33", "2026-03-20", "ben"),
    deal("O1", "60000.00", "2026-01-15", "oli"),
    deal("O2", "70000.00", "2026-02-10", "oli"),
    deal("O3", "50000.00", "2026-03-05", "oli"),
  ];
}
