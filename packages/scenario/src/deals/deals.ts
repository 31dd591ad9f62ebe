import { Decimal, type EventData, formatDecimal, minorUnits, roundDecimal } from "@icm/events";
import { startingRate } from "../fx/fx.js";
import { CUSTOMER_PREFIXES, CUSTOMER_SUFFIXES } from "../org/names.js";
import { type Person, planOn } from "../org/org.js";
import { CSM_DEAL_TYPES, SERVICES_PRODUCT, SPIFF_PRODUCT } from "../plans/plans.js";
import type { Prng } from "../random/prng.js";
import { addDays, type Quarter, weekdaysBetween } from "../time/dates.js";

/**
 * Deal content. Amounts are sized from the primary rep's quota and the deal density, so attainment lands
 * around target (some reps far below, some in the accelerators) whatever the number of deals; they are
 * computed with Decimal and rounded half-even to whole units of the deal currency.
 */

const PRODUCTS: readonly (readonly [string, number])[] = [
  ["platform", 40],
  [SPIFF_PRODUCT, 20],
  [SERVICES_PRODUCT, 15],
  ["support", 10],
  ["integrations", 15],
];
const AE_DEAL_TYPES: readonly (readonly [string, number])[] = [
  ["new", 60],
  ["expansion", 25],
  ["renewal", 15],
];
/** Deal size as a percent of the rep's average deal at target; mean ≈ 104%, long right tail. */
const SIZE_PERCENT = [20, 35, 50, 65, 80, 95, 110, 125, 150, 180, 230] as const;
const SIZE_FACTORS = SIZE_PERCENT.map((percent) => new Decimal(percent).div(100));
/** Margin as a fraction of the amount, indexed by percent (35..80 are used). */
const MARGIN_FACTORS = Array.from({ length: 101 }, (_, percent) => new Decimal(percent).div(100));

const inverseRates = new Map<string, Decimal>();
/** 1 / starting rate, computed once per currency: deals are sized by multiplying, not dividing. */
function inverseStartingRate(currency: string): Decimal {
  let inverse = inverseRates.get(currency);
  if (inverse === undefined) {
    inverse = new Decimal(1).div(startingRate(currency));
    inverseRates.set(currency, inverse);
  }
  return inverse;
}
const SPLIT_COUNT: readonly (readonly [number, number])[] = [
  [1, 70],
  [2, 22],
  [3, 8],
];
/** Credit-split share patterns: decimal strings that sum to exactly 1. */
export const SHARE_PATTERNS: Readonly<Record<number, readonly (readonly string[])[]>> = {
  1: [["1"]],
  2: [
    ["0.5", "0.5"],
    ["0.6", "0.4"],
    ["0.7", "0.3"],
    ["0.75", "0.25"],
    ["0.8", "0.2"],
  ],
  3: [
    ["0.5", "0.3", "0.2"],
    ["0.4", "0.3", "0.3"],
    ["0.34", "0.33", "0.33"],
    ["0.5", "0.25", "0.25"],
    ["0.6", "0.2", "0.2"],
  ],
};
/**
 * A rep's deals are in their region's currency, except a share booked in USD by headquarters and a few
 * cross-border deals in any of the scenario's currencies (per million).
 */
const HQ_BOOKED_PER_MILLION = 150_000;
const CROSS_BORDER_PER_MILLION = 50_000;

/** Floor of the square root of a non-negative safe integer, exact. */
function isqrt(value: number): number {
  let root = Math.floor(Math.sqrt(value));
  while (root * root > value) root -= 1;
  while ((root + 1) * (root + 1) <= value) root += 1;
  return root;
}

/**
 * Close dates for one quarter's deals, non-decreasing in deal order, on weekdays only. The density rises
 * linearly towards quarter end (the familiar end-of-quarter rush): deal j of n falls on weekday
 * ⌊L·√((2j+1)/2n)⌋ of the L weekdays, computed in exact integer arithmetic.
 */
export class QuarterSchedule {
  readonly weekdays: readonly string[];

  constructor(
    readonly quarter: Quarter,
    readonly dealCount: number,
  ) {
    this.weekdays = weekdaysBetween(quarter.first, quarter.last);
  }

  closeDate(indexInQuarter: number): string {
    const length = this.weekdays.length;
    const day = isqrt(Math.floor((length * length * (2 * indexInQuarter + 1)) / (2 * this.dealCount)));
    return this.weekdays[Math.min(day, length - 1)] as string;
  }
}

export interface DealContext {
  readonly dealId: string;
  readonly closeDate: string;
  readonly quarter: Quarter;
  /** Reps who may be credited on the close date, in id order. */
  readonly active: readonly Person[];
  /**
   * The USD size of a deal at 100% for a rep: quota / deals expected per rep in the quarter. Supplied (and
   * cached) by the caller, because Decimal division at 60 digits is the costliest step of a deal.
   */
  readonly averageDealUsd: (person: Person) => Decimal;
  readonly currencies: readonly string[];
}

export type DealBody = EventData["DealClosed"];

export function generateDeal(prng: Prng, context: DealContext): { deal: DealBody; onCollection: boolean } {
  const { active, closeDate } = context;
  const primary = prng.pick(active);
  const splitCount = Math.min(prng.weighted(SPLIT_COUNT), active.length);
  const credited: Person[] = [primary];
  for (let tries = 0; credited.length < splitCount && tries < 20; tries += 1) {
    const partner = prng.pick(active);
    if (!credited.includes(partner)) credited.push(partner);
  }
  const shares = prng.pick(SHARE_PATTERNS[credited.length] as readonly (readonly string[])[]);
  const splits = credited.map((person, index) => ({ repId: person.repId, share: shares[index] as string }));

  const primaryPlan = planOn(primary, closeDate)?.plan;
  const dealType = primaryPlan === "collections" ? prng.pick(CSM_DEAL_TYPES) : prng.weighted(AE_DEAL_TYPES);
  const product = prng.weighted(PRODUCTS);
  const homeCurrency = context.currencies.includes(primary.regionCurrency)
    ? primary.regionCurrency
    : context.currencies[0];
  const booking = prng.int(1_000_000);
  const currency =
    booking < CROSS_BORDER_PER_MILLION
      ? prng.pick(context.currencies)
      : booking < CROSS_BORDER_PER_MILLION + HQ_BOOKED_PER_MILLION && context.currencies.includes("USD")
        ? "USD"
        : (homeCurrency as string);

  const usd = context.averageDealUsd(primary).times(SIZE_FACTORS[prng.int(SIZE_FACTORS.length)] as Decimal);
  const scale = minorUnits(currency);
  let local = roundDecimal(usd.times(inverseStartingRate(currency)), 0, "HALF_EVEN");
  if (local.lessThan(100)) local = new Decimal(100);
  const margin = roundDecimal(
    local.times(MARGIN_FACTORS[prng.between(35, 80)] as Decimal),
    scale,
    "HALF_EVEN",
  );
  const deal: DealBody = {
    dealId: context.dealId,
    amount: formatDecimal(local, scale),
    currency,
    closeDate,
    product,
    dealType,
    margin: formatDecimal(margin, scale),
    customer: `${prng.pick(CUSTOMER_PREFIXES)} ${prng.pick(CUSTOMER_SUFFIXES)}`,
    splits,
  };
  const onCollection = credited.some((person) => planOn(person, closeDate)?.plan === "collections");
  return { deal, onCollection };
}

export interface Installment {
  readonly receivedDate: string;
  readonly amount: string;
}

/**
 * Customer payments for a pay-on-collection deal: most pay in full within two months; others in two
 * instalments; a few never pay the second (the commission on it is never released).
 */
export function paymentSchedule(prng: Prng, deal: DealBody): Installment[] {
  const scale = minorUnits(deal.currency);
  const amount = new Decimal(deal.amount);
  if (prng.chance(600_000)) {
    return [{ receivedDate: addDays(deal.closeDate, prng.between(20, 60)), amount: deal.amount }];
  }
  const first = roundDecimal(amount.times(prng.pick([40, 50, 60])).div(100), scale, "HALF_EVEN");
  const installments = [
    { receivedDate: addDays(deal.closeDate, prng.between(20, 45)), amount: formatDecimal(first, scale) },
  ];
  const secondDate = addDays(deal.closeDate, prng.between(60, 110));
  if (!prng.chance(50_000))
    installments.push({ receivedDate: secondDate, amount: formatDecimal(amount.minus(first), scale) });
  return installments;
}

export const CANCEL_REASONS = [
  "Customer terminated for convenience",
  "Booked in error (duplicate order)",
  "Credit check failed",
  "Contract rescinded after legal review",
] as const;
