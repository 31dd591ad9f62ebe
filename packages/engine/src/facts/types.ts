import type { Decimal, DomainEvent, EventData } from "@icm/events";

/** An event as the engine sees it: the domain event plus its place in the global log. */
export interface RecordedDomainEvent {
  readonly globalPosition: number;
  readonly event: DomainEvent;
}

/** Where a fact came from: every number the engine derives points back to these. */
export interface SourceRef {
  readonly eventId: string;
  readonly position: number;
}

export interface RepInfo {
  readonly repId: string;
  readonly name: string;
  readonly planCurrency: string;
  readonly hireDate: string;
  readonly terminationDate?: string;
  readonly source: SourceRef;
}

export interface DealSplit {
  readonly repId: string;
  readonly share: Decimal;
}

/** A deal as it stood at some log position: DealClosed with every DealAmended up to that position applied. */
export interface DealState {
  readonly dealId: string;
  readonly amount: Decimal;
  readonly currency: string;
  /** The raw close date or instant; the business date is `toBusinessDate(calendar, closeDate)`. */
  readonly closeDate: string;
  readonly product: string;
  readonly dealType: string;
  readonly margin?: Decimal;
  readonly customer?: string;
  readonly splits: readonly DealSplit[];
  /** The DealClosed and every DealAmended applied, in log order. */
  readonly sources: readonly SourceRef[];
  /** The first DealCancelled recorded up to the position, if any. */
  readonly cancellation?: { readonly cancelDate: string; readonly reason: string } & SourceRef;
}

export interface PaymentFact extends SourceRef {
  readonly paymentId: string;
  readonly dealId: string;
  readonly amount: Decimal;
  readonly currency: string;
  /** The raw received date or instant (business date via toBusinessDate). */
  readonly receivedDate: string;
}

export interface QuotaFact extends SourceRef {
  readonly repId: string;
  readonly period: string;
  readonly amount: Decimal;
  readonly currency: string;
}

export interface AdjustmentFact extends SourceRef {
  readonly adjustmentId: string;
  readonly repId: string;
  readonly period: string;
  readonly amount: Decimal;
  readonly currency: string;
  readonly reason: string;
  readonly author: string;
  readonly countsTowardQuota: boolean;
}

export interface CloseFact extends SourceRef {
  readonly period: string;
  readonly throughPosition: number;
  readonly data: EventData["PeriodClosed"];
}

export interface DisputeFact extends SourceRef {
  readonly disputeId: string;
  readonly repId: string;
  readonly period: string;
  readonly dealId?: string;
}

/** A (rep, quota period) pair whose earnings may have changed. */
export interface AffectedQuotaPeriod {
  readonly repId: string;
  readonly quotaPeriod: string;
}
