import type { RoundingMode } from "@icm/events";

/**
 * A plan definition as data (DOMAIN.md §4). Published as `PlanVersionPublished.definition`, immutable once
 * published: a change is a new version. All decimals are strings on the wire; attainment and rates are
 * FRACTIONS ("1" = 100% of quota, "0.10" = 10%), money amounts are in the plan currency.
 *
 * The zod schema in ./schema.ts is the single source of validation and must produce exactly this type.
 */
export type DecimalText = string;
export type PeriodKind = "month" | "quarter" | "year";

export interface PlanDefinition {
  /** The plan (and payout) currency: credits are converted into it at the close-date FX rate. */
  readonly currency: string;
  /** How every ledger line is rounded; scale is normally the currency's minor units. */
  readonly rounding: { readonly mode: RoundingMode; readonly scale: number };
  /** The period a quota is set for and attainment is measured over. */
  readonly quotaPeriod: PeriodKind;
  /** The period statements are issued and paid for; must not be longer than quotaPeriod. */
  readonly payoutPeriod: "month" | "quarter";
  /** What is credited: the deal amount, or its margin. */
  readonly measure: "amount" | "margin";
  /**
   * `period`: each payout period pays what its own lines earned.
   * `ytd`: earnings are computed on fiscal-year-to-date credit and each period pays earned-YTD minus
   * already-paid (a true-up line), so a late-year slump is netted against earlier overpayment.
   */
  readonly cumulative: "period" | "ytd";
  readonly paymentTiming: PaymentTiming;
  readonly clawback?: ClawbackPolicy;
  readonly components: readonly Component[];
}

export type PaymentTiming =
  | { readonly kind: "on_close"; readonly holdback?: Holdback }
  /** Commission becomes payable in proportion to `PaymentReceived` amounts against the deal amount. */
  | { readonly kind: "on_collection"; readonly holdback?: Holdback };

/** A share of each payable amount held back and released `releaseAfterDays` after it became payable. */
export interface Holdback {
  readonly fraction: DecimalText;
  readonly releaseAfterDays: number;
}

export interface ClawbackPolicy {
  /** A cancellation at most this many days after the close date claws back; later ones do not. */
  readonly windowDays: number;
  /** `recompute`: recalculate the quota period without the deal; `original_rate`: reverse the deal's lines. */
  readonly method: "recompute" | "original_rate";
}

/** Which deals a component applies to. Every given criterion must match; absent = any. */
export interface DealFilter {
  readonly products?: readonly string[];
  readonly dealTypes?: readonly string[];
  /** Inclusive business-date window (company zone). */
  readonly closeDateFrom?: string;
  readonly closeDateTo?: string;
  /** Minimum deal amount in plan currency (after FX). */
  readonly minAmount?: DecimalText;
}

export interface RateBand {
  /** Attainment fraction where the band starts (inclusive); the first band starts at "0". */
  readonly from: DecimalText;
  /** Where it ends (exclusive); null = no upper bound (last band only). Bands are contiguous. */
  readonly to: DecimalText | null;
  /** Either an explicit rate... */
  readonly rate?: DecimalText;
  /** ...or a multiple of the component's base rate (accelerator > 1, decelerator < 1). */
  readonly multiplier?: DecimalText;
}

export interface EarningsCap {
  readonly perPeriod?: DecimalText;
  readonly perYear?: DecimalText;
}

export interface RateTableComponent {
  readonly kind: "rate_table";
  readonly id: string;
  readonly name: string;
  readonly method: "marginal" | "retroactive";
  readonly bands: readonly RateBand[];
  /**
   * Target incentive for the quota period; base rate = targetIncentive / quota. Required when any band
   * uses `multiplier`.
   */
  readonly targetIncentive?: DecimalText;
  /** Nothing is earned until attainment reaches `threshold`; then from the first dollar or only above it. */
  readonly gate?: { readonly threshold: DecimalText; readonly payFrom: "first_dollar" | "above_threshold" };
  /** Attainment above this fraction is not counted for this component (e.g. "2" = capped at 200%). */
  readonly attainmentCap?: DecimalText;
  readonly earningsCap?: EarningsCap;
  readonly filter?: DealFilter;
}

export interface BonusComponent {
  readonly kind: "bonus";
  readonly id: string;
  readonly name: string;
  /** Paid once per quota period when attainment first reaches this fraction. */
  readonly attainmentLevel: DecimalText;
  readonly amount: DecimalText;
}

export interface SpiffComponent {
  readonly kind: "spiff";
  readonly id: string;
  readonly name: string;
  readonly filter: DealFilter;
  readonly payout:
    | { readonly kind: "fixed"; readonly amount: DecimalText }
    | { readonly kind: "rate"; readonly rate: DecimalText };
  readonly earningsCap?: EarningsCap;
}

export interface OverlayComponent {
  readonly kind: "overlay";
  readonly id: string;
  readonly name: string;
  /** Rate on credit rolled up from reports (through the chain effective on each deal's close date). */
  readonly rate: DecimalText;
  /** How many levels down the chain count; absent = all levels. */
  readonly maxDepth?: number;
  /**
   * How the manager's ledger shows the overlay: `per_deal` (default), one line per report's deal; or
   * `per_report`, one line per report (and level) per payout period, listing that report's deals and
   * their credit in the trace. `per_report` needs `paymentTiming` `on_close`: collection follows each deal.
   */
  readonly lines?: OverlayLines;
  readonly earningsCap?: EarningsCap;
}

export type OverlayLines = "per_deal" | "per_report";

export interface DrawComponent {
  readonly kind: "draw";
  readonly id: string;
  readonly name: string;
  /** Guaranteed amount per payout period. */
  readonly amount: DecimalText;
  readonly recoverable: boolean;
  /** Most that may be recovered from one period's earnings; absent = no limit. Recoverable draws only. */
  readonly recoveryCapPerPeriod?: DecimalText;
}

export type Component =
  | RateTableComponent
  | BonusComponent
  | SpiffComponent
  | OverlayComponent
  | DrawComponent;
export type ComponentKind = Component["kind"];

/** A published plan version as the engine holds it. */
export interface PlanVersion {
  readonly planId: string;
  readonly version: number;
  readonly name: string;
  readonly definition: PlanDefinition;
}
