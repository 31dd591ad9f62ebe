import { type PlanDefinition, SECTION_8_PLAN } from "@icm/engine";
import { type DomainEvent, type EventData, type EventType, makeEvent } from "@icm/events";

// Small hand-made histories for the workflows' tests and the CLI's docs: real, schema-valid events.

export const ev = <T extends EventType>(type: T, eventId: string, data: EventData[T]): DomainEvent =>
  makeEvent(type, eventId, data, { source: "test" }) as DomainEvent;

export const deal = (
  dealId: string,
  amount: string,
  closeDate: string,
  repId = "ana",
  currency = "USD",
): DomainEvent =>
  ev("DealClosed", `deal-${dealId}`, {
    dealId,
    amount,
    currency,
    closeDate,
    product: "Widget",
    dealType: "new",
    splits: [{ repId, share: "1" }],
  });

/**
 * DOMAIN.md §8: quota 100,000 a quarter, marginal bands 10% / 15% / 20%, deals of 60,000, 70,000 and
 * 50,000 in Q1 2026 (paying 6,000 / 8,500 / 9,000), quarterly payouts and a 90-day clawback. A second rep
 * ("ben", reporting to "mia") has one deal, so a payout run has more than one line.
 */
export function section8History(clawback: "recompute" | "original_rate" = "recompute"): DomainEvent[] {
  const plan: PlanDefinition = {
    ...SECTION_8_PLAN,
    payoutPeriod: "quarter",
    clawback: { windowDays: 90, method: clawback },
  };
  return [
    ev("PlanVersionPublished", "plan-p8-v1", {
      planId: "p8",
      version: 1,
      name: "DOMAIN §8 plan",
      definition: plan as unknown as Record<string, never>,
    }),
    ev("RepOnboarded", "onboard-mia", {
      repId: "mia",
      name: "Mia Manager",
      planCurrency: "USD",
      hireDate: "2025-01-01",
    }),
    ev("RepOnboarded", "onboard-ana", {
      repId: "ana",
      name: "Ana Rep",
      planCurrency: "USD",
      hireDate: "2025-01-01",
      managerId: "mia",
    }),
    ev("RepOnboarded", "onboard-ben", {
      repId: "ben",
      name: "Ben Rep",
      planCurrency: "USD",
      hireDate: "2025-01-01",
      managerId: "mia",
    }),
    ev("PlanAssigned", "assign-ana", { repId: "ana", planId: "p8", version: 1, effectiveFrom: "2025-01-01" }),
    ev("PlanAssigned", "assign-ben", { repId: "ben", planId: "p8", version: 1, effectiveFrom: "2025-01-01" }),
    ev("QuotaSet", "quota-ana-Q1", { repId: "ana", period: "2026-Q1", amount: "100000.00", currency: "USD" }),
    ev("QuotaSet", "quota-ana-Q2", { repId: "ana", period: "2026-Q2", amount: "100000.00", currency: "USD" }),
    ev("QuotaSet", "quota-ben-Q1", { repId: "ben", period: "2026-Q1", amount: "100000.00", currency: "USD" }),
    ev("QuotaSet", "quota-ben-Q2", { repId: "ben", period: "2026-Q2", amount: "100000.00", currency: "USD" }),
    deal("D1", "60000.00", "2026-01-15"),
    deal("D2", "70000.00", "2026-02-10"),
    deal("D3", "50000.00", "2026-03-05"),
    deal("B1", "33333.33", "2026-03-20", "ben"),
  ];
}

/** A deal crediting a rep nobody onboarded: a well-formed fact that cannot be used yet (an exception). */
export const unknownRepDeal = (): DomainEvent => deal("X1", "1000.00", "2026-03-10", "ghost");
