import type { DomainEvent } from "./envelope.js";

/**
 * The stream an event is appended to. One stream per business entity, so that optimistic concurrency
 * protects exactly the facts that must stay consistent with each other (a deal's life, a rep's record).
 */
export function streamIdFor(event: DomainEvent): string {
  switch (event.type) {
    case "CalendarConfigured":
      return "calendar";
    case "RepOnboarded":
    case "RepManagerChanged":
    case "RepTerminated":
      return `rep-${event.data.repId}`;
    case "PlanVersionPublished":
      return `plan-${event.data.planId}`;
    case "PlanAssigned":
      return `assignment-${event.data.repId}`;
    case "QuotaSet":
      return `quota-${event.data.repId}`;
    case "DealClosed":
    case "DealAmended":
    case "DealCancelled":
    case "PaymentReceived":
      return `deal-${event.data.dealId}`;
    case "FxRatePublished":
      return `fx-${event.data.base}-${event.data.quote}`;
    case "AdjustmentRecorded":
      return `adjustment-${event.data.repId}`;
    case "DisputeRaised":
      return `dispute-${event.data.disputeId}`;
    case "DisputeResolved":
      return `dispute-${event.data.disputeId}`;
    case "PeriodClosed":
      return `close-${event.data.period}`;
  }
}
