import { type DomainEvent, makeEvent } from "@icm/events";

/**
 * Small valid events for the pipeline's own tests and examples. Not exported from the package index.
 */
export function sampleRep(repId: string): DomainEvent {
  return makeEvent("RepOnboarded", `rep-onboarded-${repId}`, {
    repId,
    name: `Rep ${repId}`,
    planCurrency: "USD",
    hireDate: "2026-01-05",
  });
}

export function sampleDeal(dealId: string, amount = "1250.00"): DomainEvent {
  return makeEvent("DealClosed", `deal-closed-${dealId}`, {
    dealId,
    amount,
    currency: "USD",
    closeDate: "2026-03-15",
    product: "Platform",
    dealType: "new",
    splits: [{ repId: "R-1", share: "1" }],
  });
}
