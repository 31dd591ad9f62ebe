import { Decimal, roundDecimal } from "@icm/events";
import {
  allocateLargestRemainder,
  convertAmount,
  type FxQuote,
  type FxRates,
} from "../../crediting/index.js";
import type { CompiledPlan, DealSplit, DealState, SourceRef } from "../../facts/index.js";
import { num } from "../format.js";

/** One rep's credit from one deal under one plan (DOMAIN.md §3). */
export interface DealCredit {
  /** This rep's part of the deal's measure, in plan currency, at plan scale (largest-remainder allocation). */
  readonly credit: Decimal;
  /** `credit.toFixed()`, made once: every manager's overlay line on the deal shows it again. */
  readonly creditText: string;
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
const NO_INPUTS: Readonly<Record<string, string>> = Object.freeze({});

/** The deal's shares must sum to exactly 1: anything else is an exception and nobody is credited. */
export function splitsSumToOne(deal: DealState): boolean {
  // Most deals have one split; every report's deal is checked again for each manager above it.
  const only = deal.splits.length === 1 ? deal.splits[0] : undefined;
  if (only !== undefined) return only.share.equals(ONE);
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
  /** False leaves `inputs` empty: a per-report overlay line shows each deal's arithmetic, not its inputs. */
  withInputs = true,
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
  // The rep's split lines (a rep may be on more than one) and their summed share.
  let share = new Decimal(0);
  const lines: number[] = [];
  deal.splits.forEach((split, index) => {
    if (split.repId !== repId) return;
    lines.push(index);
    share = share.plus(split.share);
  });
  const credit = repPart(measureTotal, deal.splits, lines, scale);
  // "120,000 × 50% = 60,000", "EUR 10,000 × 1.085 = USD 10,850", "margin 2,500"
  let arithmetic = plan.measure === "margin" ? "margin " : "";
  if (converted.quote === undefined) arithmetic += num(measureTotal);
  else {
    arithmetic += `${deal.currency} ${num(measure)} × ${converted.quote.rate.toFixed()} = ${plan.currency} ${num(measureTotal)}`;
  }
  if (!share.equals(ONE)) arithmetic += ` × ${num(share.times(100))}% = ${num(credit)}`;
  const creditText = credit.toFixed();
  let inputs: Readonly<Record<string, string>> = NO_INPUTS;
  if (withInputs) {
    const full: Record<string, string> = {
      dealAmount: deal.amount.toFixed(),
      dealCurrency: deal.currency,
      measureUnrounded: converted.amount.toFixed(),
      measureRounded: measureTotal.toFixed(),
      share: share.toFixed(),
      creditRounded: creditText,
    };
    if (deal.margin !== undefined) full.dealMargin = deal.margin.toFixed();
    if (converted.quote !== undefined) {
      full.fxRate = converted.quote.rate.toFixed();
      full.fxEffectiveDate = converted.quote.effectiveDate;
    }
    inputs = full;
  }
  return {
    ok: true,
    value: {
      credit,
      creditText,
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

/** 10^-scale per scale (0..18), the minor unit the allocation counts in. */
const UNITS: Decimal[] = [];
function minorUnit(scale: number): Decimal {
  let unit = UNITS[scale];
  if (unit === undefined) {
    unit = new Decimal(10).pow(-scale);
    UNITS[scale] = unit;
  }
  return unit;
}

/**
 * `allocateLargestRemainder(total, shares, scale)` for shares already known to sum to exactly 1 (the deal
 * was checked): every part's exact share is then units × share, with no division, so this skips the
 * 60-digit divisions and the weight checks of the general function, and gives the same parts (the law spec
 * compares the two). Every report's deal is allocated again for each manager above it, so this is hot.
 * Falls back to the general function when a product could exceed the working precision.
 */
export function allocateWholeShares(total: Decimal, shares: readonly Decimal[], scale: number): Decimal[] {
  const small = wholeShareMinorUnits(total, shares, scale);
  if (small !== undefined)
    return small.units.map((units) => decimalOfMinorUnits(units, scale, small.negative));
  return allocateWholeSharesInDecimals(total, shares, scale);
}

/**
 * The rep's part of the deal's measure: the parts of its split lines, summed. One 100% split (most deals)
 * needs no allocation; a split deal is allocated in integers when they are exact, and only the rep's part
 * becomes a Decimal.
 */
function repPart(
  total: Decimal,
  splits: readonly DealSplit[],
  lines: readonly number[],
  scale: number,
): Decimal {
  const zero = new Decimal(0);
  if (splits.length === 1) return lines.length === 0 ? zero : zero.plus(total);
  const shares = splits.map((s) => s.share);
  const small = wholeShareMinorUnits(total, shares, scale);
  if (small !== undefined) {
    let mine = 0;
    for (const index of lines) mine += small.units[index] as number;
    return decimalOfMinorUnits(mine, scale, small.negative);
  }
  const parts = allocateWholeSharesInDecimals(total, shares, scale);
  let credit = zero;
  for (const index of lines) credit = credit.plus(parts[index] as Decimal);
  return credit;
}

/** allocateWholeShares in Decimals: for totals and shares the integer path does not take. */
function allocateWholeSharesInDecimals(total: Decimal, shares: readonly Decimal[], scale: number): Decimal[] {
  if (
    shares.length === 0 ||
    !Number.isInteger(scale) ||
    scale < 0 ||
    scale > 18 ||
    !total.isFinite() ||
    total.decimalPlaces() > scale
  )
    return allocateLargestRemainder(total, shares, scale);
  const unit = minorUnit(scale);
  const units = total.abs().div(unit); // an integer: total is at scale
  const floors: Decimal[] = [];
  const remainders: Decimal[] = [];
  let assigned: Decimal | undefined;
  for (const share of shares) {
    if (!share.isFinite() || share.isNegative() || units.sd(true) + share.sd(true) > Decimal.precision)
      return allocateLargestRemainder(total, shares, scale);
    const exact = units.times(share);
    const floor = exact.floor();
    floors.push(floor);
    remainders.push(exact.minus(floor));
    assigned = assigned === undefined ? floor : assigned.plus(floor);
  }
  const leftover = assigned === undefined ? 0 : units.minus(assigned).toNumber();
  if (leftover > 0) {
    const order = shares.map((_, index) => index);
    order.sort((a, b) => {
      const byRemainder = (remainders[b] as Decimal).comparedTo(remainders[a] as Decimal);
      return byRemainder !== 0 ? byRemainder : a - b;
    });
    for (let rank = 0; rank < leftover; rank += 1) {
      const index = order[rank] as number;
      floors[index] = (floors[index] as Decimal).plus(1);
    }
  }
  const negative = total.isNegative();
  return floors.map((minorUnits) => {
    if (minorUnits.isZero()) return new Decimal(0);
    const part = minorUnits.times(unit);
    return negative ? part.negated() : part;
  });
}

/** Decimal places of a share the integer path takes (split shares are percentages, or thirds to a few places). */
const SMALL_SHARE_PLACES = 6;
const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/** A whole-share allocation in minor units (integers) of the total's absolute value, and the total's sign. */
interface MinorUnitParts {
  readonly units: readonly number[];
  readonly negative: boolean;
}

/**
 * allocateWholeShares in integers, when they are exact: the total in minor units and each share as an
 * integer over 10^places, with every product under 2^53 (a total of up to 10^9 in minor units with shares
 * of up to 6 places). Split deals are 30 % of the benchmark's deals, and each is allocated again for every
 * manager above its reps: the Decimal path cost ~15 Decimal operations per allocation. Same floors,
 * remainders and ranking as the Decimal path (the law spec compares the two); undefined when anything does
 * not fit or is not well formed, so the caller takes the Decimal path, which judges it.
 */
function wholeShareMinorUnits(
  total: Decimal,
  shares: readonly Decimal[],
  scale: number,
): MinorUnitParts | undefined {
  if (shares.length === 0 || !Number.isInteger(scale) || scale < 0 || scale > 18) return undefined;
  if (!total.isFinite() || total.decimalPlaces() > scale) return undefined;
  const totalText = total.toFixed(scale);
  const negative = totalText.charCodeAt(0) === 45;
  const digits = (negative ? totalText.slice(1) : totalText).replace(".", "");
  if (digits.length > 15) return undefined;
  const units = Number(digits);
  let places = 0;
  const texts: string[] = [];
  for (const share of shares) {
    const text = share.toFixed();
    // Only plain non-negative decimals ("0.25", "1").
    if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
    const dot = text.indexOf(".");
    const sharePlaces = dot < 0 ? 0 : text.length - dot - 1;
    if (sharePlaces > SMALL_SHARE_PLACES) return undefined;
    if (sharePlaces > places) places = sharePlaces;
    texts.push(text);
  }
  const denominator = POWERS_OF_TEN[places] as number;
  const floors: number[] = [];
  const remainders: number[] = [];
  let assigned = 0;
  for (const text of texts) {
    const dot = text.indexOf(".");
    const whole = dot < 0 ? text : text.slice(0, dot);
    const fraction = dot < 0 ? "" : text.slice(dot + 1);
    const product = units * Number(whole + fraction.padEnd(places, "0"));
    if (!Number.isSafeInteger(product)) return undefined;
    const remainder = product % denominator;
    const floor = (product - remainder) / denominator;
    floors.push(floor);
    remainders.push(remainder);
    assigned += floor;
  }
  const leftover = units - assigned;
  // Shares summing to 1 leave fewer units than parts; anything else is the Decimal path's to report.
  if (leftover < 0 || leftover > shares.length) return undefined;
  if (leftover > 0) {
    const order = shares.map((_, index) => index);
    order.sort((a, b) => (remainders[b] as number) - (remainders[a] as number) || a - b);
    for (let rank = 0; rank < leftover; rank += 1) {
      const index = order[rank] as number;
      floors[index] = (floors[index] as number) + 1;
    }
  }
  return { units: floors, negative };
}

/** minorUnits × 10^-scale, negated when asked; zero is a plain 0 (as the Decimal path gives it). */
function decimalOfMinorUnits(minorUnits: number, scale: number, negative: boolean): Decimal {
  if (minorUnits === 0) return new Decimal(0);
  const text = scale === 0 ? String(minorUnits) : String(minorUnits).padStart(scale + 1, "0");
  const part = scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`;
  return new Decimal(negative ? `-${part}` : part);
}
