import { Decimal, roundDecimal } from "@icm/events";
import {
  allocateLargestRemainder,
  convertAmount,
  type FxQuote,
  type FxRates,
} from "../../crediting/index.js";
import type { CompiledPlan, DealState, SourceRef } from "../../facts/index.js";
import { num } from "../format.js";

/** One rep's credit from one deal under one plan (DOMAIN.md §3). */
export interface DealCredit {
  /** This rep's part of the deal's measure, in plan currency, at plan scale (largest-remainder allocation). */
  readonly credit: Decimal;
  /** The rep's share (summed when the rep appears in more than one split line). */
  readonly share: Decimal;
  /** The whole deal's measure in plan currency, unrounded, then rounded at plan scale. */
  readonly measureUnrounded: Decimal;
  readonly measureTotal: Decimal;
  /** The whole deal amount in plan currency (unrounded), for minAmount filters. */
  readonly amountInPlanCurrency: Decimal;
  readonly quote: FxQuote | undefined;
  /** "EUR 10,000 × 1.085 = USD 10,850 × 50% = 5,425" */
  readonly arithmetic: string;
  /** Unrounded intermediates for the trace. */
  readonly inputs: Readonly<Record<string, string>>;
}

export type CreditResult =
  | { readonly ok: true; readonly value: DealCredit }
  | {
      readonly ok: false;
      readonly code: "missing_fx_rate" | "bad_splits";
      readonly message: string;
      readonly sources: readonly SourceRef[];
    };

const ONE = new Decimal(1);

/** The deal's shares must sum to exactly 1: anything else is an exception and nobody is credited. */
export function splitsSumToOne(deal: DealState): boolean {
  let sum = new Decimal(0);
  for (const split of deal.splits) sum = sum.plus(split.share);
  return sum.equals(ONE);
}

/**
 * Converts the deal's measure (amount, or margin when the plan says so) into the plan currency at the
 * latest rate on or before the business date, rounds it once at the plan's scale and mode, and splits it
 * over all the deal's shares with the largest-remainder method so the parts sum exactly to the whole; the
 * rep gets the parts of the split lines that name them. A margin-measured plan credits 0 for a deal
 * without a margin.
 */
export function creditDeal(
  deal: DealState,
  repId: string,
  plan: CompiledPlan,
  businessDate: string,
  fx: FxRates,
  throughPosition: number,
): CreditResult {
  if (!splitsSumToOne(deal)) {
    const sum = deal.splits.reduce((acc, s) => acc.plus(s.share), new Decimal(0));
    return {
      ok: false,
      code: "bad_splits",
      message: `Deal ${deal.dealId}: split shares sum to ${sum.toFixed()}, not 1; nobody is credited until it is amended`,
      sources: deal.sources,
    };
  }
  const measure = plan.measure === "margin" ? (deal.margin ?? new Decimal(0)) : deal.amount;
  const converted = convertAmount(measure, deal.currency, plan.currency, businessDate, fx, throughPosition);
  // The same conversion when the measure is the amount: overlays credit every deal once per manager.
  const convertedAmount =
    measure === deal.amount
      ? converted
      : convertAmount(deal.amount, deal.currency, plan.currency, businessDate, fx, throughPosition);
  if (converted === undefined || convertedAmount === undefined) {
    return {
      ok: false,
      code: "missing_fx_rate",
      message: `Deal ${deal.dealId}: no ${deal.currency}→${plan.currency} FX rate on or before ${businessDate}`,
      sources: deal.sources,
    };
  }
  const { scale, mode } = plan.rounding;
  const measureTotal = roundDecimal(converted.amount, scale, mode);
  // One 100% split (most deals) needs no allocation.
  const parts =
    deal.splits.length === 1
      ? [measureTotal]
      : allocateLargestRemainder(
          measureTotal,
          deal.splits.map((s) => s.share),
          scale,
        );
  let credit = new Decimal(0);
  let share = new Decimal(0);
  deal.splits.forEach((split, index) => {
    if (split.repId !== repId) return;
    credit = credit.plus(parts[index] as Decimal);
    share = share.plus(split.share);
  });
  // "120,000 × 50% = 60,000", "EUR 10,000 × 1.085 = USD 10,850", "margin 2,500"
  let arithmetic = plan.measure === "margin" ? "margin " : "";
  if (converted.quote === undefined) arithmetic += num(measureTotal);
  else {
    arithmetic += `${deal.currency} ${num(measure)} × ${converted.quote.rate.toFixed()} = ${plan.currency} ${num(measureTotal)}`;
  }
  if (!share.equals(ONE)) arithmetic += ` × ${num(share.times(100))}% = ${num(credit)}`;
  const inputs: Record<string, string> = {
    dealAmount: deal.amount.toFixed(),
    dealCurrency: deal.currency,
    measureUnrounded: converted.amount.toFixed(),
    measureRounded: measureTotal.toFixed(),
    share: share.toFixed(),
    creditRounded: credit.toFixed(),
  };
  if (deal.margin !== undefined) inputs.dealMargin = deal.margin.toFixed();
  if (converted.quote !== undefined) {
    inputs.fxRate = converted.quote.rate.toFixed();
    inputs.fxEffectiveDate = converted.quote.effectiveDate;
  }
  return {
    ok: true,
    value: {
      credit,
      share,
      measureUnrounded: converted.amount,
      measureTotal,
      amountInPlanCurrency: convertedAmount.amount,
      quote: converted.quote,
      arithmetic,
      inputs,
    },
  };
}
