import { Decimal, type RoundingMode } from "@icm/events";
import type {
  ClawbackPolicy,
  Component,
  DealFilter,
  EarningsCap,
  OverlayLines,
  PaymentTiming,
  PeriodKind,
  PlanDefinition,
  PlanVersion,
  RateBand,
} from "../plan/types.js";

/**
 * A published plan with every decimal string parsed once, when the PlanVersionPublished is applied:
 * computing a period then never re-parses plan text (1,000,000 deals must not mean 1,000,000 parses).
 */
export interface CompiledBand {
  readonly from: Decimal;
  /** undefined = no upper bound. */
  readonly to: Decimal | undefined;
  readonly rate: Decimal | undefined;
  readonly multiplier: Decimal | undefined;
  /** e.g. "100%–150% @ 15%" or "≥ 150% @ 2× base". */
  readonly label: string;
}

export interface CompiledFilter {
  readonly products: readonly string[] | undefined;
  readonly dealTypes: readonly string[] | undefined;
  readonly closeDateFrom: string | undefined;
  readonly closeDateTo: string | undefined;
  readonly minAmount: Decimal | undefined;
}

export interface CompiledCap {
  readonly perPeriod: Decimal | undefined;
  readonly perYear: Decimal | undefined;
}

export interface CompiledRateTable {
  readonly kind: "rate_table";
  readonly id: string;
  readonly name: string;
  readonly method: "marginal" | "retroactive";
  readonly bands: readonly CompiledBand[];
  readonly targetIncentive: Decimal | undefined;
  readonly gate:
    | { readonly threshold: Decimal; readonly payFrom: "first_dollar" | "above_threshold" }
    | undefined;
  readonly attainmentCap: Decimal | undefined;
  readonly earningsCap: CompiledCap | undefined;
  readonly filter: CompiledFilter | undefined;
}

export interface CompiledBonus {
  readonly kind: "bonus";
  readonly id: string;
  readonly name: string;
  readonly attainmentLevel: Decimal;
  readonly amount: Decimal;
}

export interface CompiledSpiff {
  readonly kind: "spiff";
  readonly id: string;
  readonly name: string;
  readonly filter: CompiledFilter;
  readonly payout:
    | { readonly kind: "fixed"; readonly amount: Decimal }
    | { readonly kind: "rate"; readonly rate: Decimal };
  readonly earningsCap: CompiledCap | undefined;
}

export interface CompiledOverlay {
  readonly kind: "overlay";
  readonly id: string;
  readonly name: string;
  readonly rate: Decimal;
  readonly maxDepth: number | undefined;
  readonly lines: OverlayLines;
  readonly earningsCap: CompiledCap | undefined;
}

export interface CompiledDraw {
  readonly kind: "draw";
  readonly id: string;
  readonly name: string;
  readonly amount: Decimal;
  readonly recoverable: boolean;
  readonly recoveryCapPerPeriod: Decimal | undefined;
}

export type CompiledComponent =
  | CompiledRateTable
  | CompiledBonus
  | CompiledSpiff
  | CompiledOverlay
  | CompiledDraw;

export interface CompiledPlan {
  readonly planId: string;
  readonly version: number;
  readonly name: string;
  readonly definition: PlanDefinition;
  readonly currency: string;
  readonly rounding: { readonly mode: RoundingMode; readonly scale: number };
  readonly quotaPeriod: PeriodKind;
  readonly payoutPeriod: "month" | "quarter";
  readonly measure: "amount" | "margin";
  readonly cumulative: "period" | "ytd";
  readonly paymentTiming: PaymentTiming;
  readonly holdbackFraction: Decimal | undefined;
  readonly clawback: ClawbackPolicy | undefined;
  readonly components: readonly CompiledComponent[];
}

/** "0.15" → "15%", "1.5" → "150%": how a finance person reads a fraction. */
export function percentText(fraction: Decimal): string {
  return `${fraction.times(100).toFixed()}%`;
}

function bandLabel(band: RateBand, from: Decimal, to: Decimal | undefined): string {
  const range = to === undefined ? `≥ ${percentText(from)}` : `${percentText(from)}–${percentText(to)}`;
  if (band.rate !== undefined) return `${range} @ ${percentText(new Decimal(band.rate))}`;
  return `${range} @ ${new Decimal(band.multiplier ?? "0").toFixed()}× base`;
}

function compileFilter(filter: DealFilter): CompiledFilter {
  return {
    products: filter.products === undefined ? undefined : [...filter.products].sort(),
    dealTypes: filter.dealTypes === undefined ? undefined : [...filter.dealTypes].sort(),
    closeDateFrom: filter.closeDateFrom,
    closeDateTo: filter.closeDateTo,
    minAmount: filter.minAmount === undefined ? undefined : new Decimal(filter.minAmount),
  };
}

function compileCap(cap: EarningsCap | undefined): CompiledCap | undefined {
  if (cap === undefined) return undefined;
  return {
    perPeriod: cap.perPeriod === undefined ? undefined : new Decimal(cap.perPeriod),
    perYear: cap.perYear === undefined ? undefined : new Decimal(cap.perYear),
  };
}

function compileComponent(component: Component): CompiledComponent {
  switch (component.kind) {
    case "rate_table":
      return {
        kind: "rate_table",
        id: component.id,
        name: component.name,
        method: component.method,
        bands: component.bands.map((band) => {
          const from = new Decimal(band.from);
          const to = band.to === null ? undefined : new Decimal(band.to);
          return {
            from,
            to,
            rate: band.rate === undefined ? undefined : new Decimal(band.rate),
            multiplier: band.multiplier === undefined ? undefined : new Decimal(band.multiplier),
            label: bandLabel(band, from, to),
          };
        }),
        targetIncentive:
          component.targetIncentive === undefined ? undefined : new Decimal(component.targetIncentive),
        gate:
          component.gate === undefined
            ? undefined
            : { threshold: new Decimal(component.gate.threshold), payFrom: component.gate.payFrom },
        attainmentCap:
          component.attainmentCap === undefined ? undefined : new Decimal(component.attainmentCap),
        earningsCap: compileCap(component.earningsCap),
        filter: component.filter === undefined ? undefined : compileFilter(component.filter),
      };
    case "bonus":
      return {
        kind: "bonus",
        id: component.id,
        name: component.name,
        attainmentLevel: new Decimal(component.attainmentLevel),
        amount: new Decimal(component.amount),
      };
    case "spiff":
      return {
        kind: "spiff",
        id: component.id,
        name: component.name,
        filter: compileFilter(component.filter),
        payout:
          component.payout.kind === "fixed"
            ? { kind: "fixed", amount: new Decimal(component.payout.amount) }
            : { kind: "rate", rate: new Decimal(component.payout.rate) },
        earningsCap: compileCap(component.earningsCap),
      };
    case "overlay":
      return {
        kind: "overlay",
        id: component.id,
        name: component.name,
        rate: new Decimal(component.rate),
        maxDepth: component.maxDepth,
        lines: component.lines ?? "per_deal",
        earningsCap: compileCap(component.earningsCap),
      };
    case "draw":
      return {
        kind: "draw",
        id: component.id,
        name: component.name,
        amount: new Decimal(component.amount),
        recoverable: component.recoverable,
        recoveryCapPerPeriod:
          component.recoveryCapPerPeriod === undefined
            ? undefined
            : new Decimal(component.recoveryCapPerPeriod),
      };
  }
}

/** Parses every decimal of an already validated plan. The schema guarantees the strings are decimals. */
export function compilePlan(plan: PlanVersion): CompiledPlan {
  const d = plan.definition;
  return {
    planId: plan.planId,
    version: plan.version,
    name: plan.name,
    definition: d,
    currency: d.currency,
    rounding: d.rounding,
    quotaPeriod: d.quotaPeriod,
    payoutPeriod: d.payoutPeriod,
    measure: d.measure,
    cumulative: d.cumulative,
    paymentTiming: d.paymentTiming,
    holdbackFraction:
      d.paymentTiming.holdback === undefined ? undefined : new Decimal(d.paymentTiming.holdback.fraction),
    clawback: d.clawback,
    components: d.components.map(compileComponent),
  };
}
