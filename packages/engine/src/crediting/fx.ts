import { Decimal, isKnownCurrency } from "@icm/events";
import { assertBusinessDate } from "../calendar/index.js";
import { EffectiveDatedHistory } from "./effective-dated.js";

/** The rate used for one conversion, kept in the trace so an auditor can see which publication applied. */
export interface FxQuote {
  /** Units of the quote currency per one unit of the base currency asked for. */
  readonly rate: Decimal;
  readonly effectiveDate: string;
  /** The `FxRatePublished` event the rate came from. */
  readonly eventId: string;
  readonly position: number;
  /** True when only the opposite pair was published and this rate is its inverse (1 / rate). */
  readonly inverted: boolean;
}

interface PublishedRate {
  readonly rate: Decimal;
  readonly effectiveDate: string;
  readonly eventId: string;
  readonly position: number;
}

/**
 * Effective-dated FX rates (DOMAIN.md §3): a credit converts at the latest rate effective on or before the
 * close date. A rate published later for the same effective date is a correction and replaces the earlier
 * one; `throughPosition` answers as the log stood at that position. When the pair asked for has no rate
 * but the opposite pair does, its inverse is used. When both directions have a rate, the one with the
 * later effective date wins; on the same effective date the pair as asked wins.
 */
export class FxRates {
  private readonly pairs = new Map<string, EffectiveDatedHistory<PublishedRate>>();
  private readonly inverses = new WeakMap<PublishedRate, Decimal>();

  publish(
    base: string,
    quote: string,
    rate: Decimal,
    effectiveDate: string,
    eventId: string,
    position: number,
  ): void {
    const pair = `${base}/${quote}`;
    if (!isKnownCurrency(base) || !isKnownCurrency(quote))
      throw new RangeError(`FX ${pair}: unknown currency`);
    if (base === quote) throw new RangeError(`FX ${pair}: base and quote must differ`);
    if (!rate.isFinite() || !rate.isPositive() || rate.isZero()) {
      throw new RangeError(`FX ${pair}: rate must be greater than 0, got ${rate.toFixed()}`);
    }
    assertBusinessDate(effectiveDate, `FX ${pair} effective date`);
    let history = this.pairs.get(pair);
    if (history === undefined) {
      history = new EffectiveDatedHistory<PublishedRate>();
      this.pairs.set(pair, history);
    }
    history.add({ rate, effectiveDate, eventId, position }, `FX ${pair} (${eventId})`);
  }

  rateOn(base: string, quote: string, date: string, throughPosition?: number): FxQuote | undefined {
    const direct = this.pairs.get(`${base}/${quote}`)?.on(date, throughPosition);
    const reverse = this.pairs.get(`${quote}/${base}`)?.on(date, throughPosition);
    if (direct !== undefined && (reverse === undefined || direct.effectiveDate >= reverse.effectiveDate)) {
      // A literal, not `{ ...direct, inverted }`: V8 copies a spread through a slower path, and this runs
      // for every foreign-currency credit of every rep and manager (1.3 s of a default-size verify).
      return {
        rate: direct.rate,
        effectiveDate: direct.effectiveDate,
        eventId: direct.eventId,
        position: direct.position,
        inverted: false,
      };
    }
    if (reverse === undefined) return undefined;
    let inverse = this.inverses.get(reverse);
    if (inverse === undefined) {
      // Division at the Decimal constructor's 60 significant digits; the result is rounded once, at the ledger line.
      inverse = new Decimal(1).div(reverse.rate);
      this.inverses.set(reverse, inverse);
    }
    return {
      rate: inverse,
      effectiveDate: reverse.effectiveDate,
      eventId: reverse.eventId,
      position: reverse.position,
      inverted: true,
    };
  }
}

/**
 * Converts an amount at the rate effective on `date`; unrounded (rounding happens once, at the ledger line).
 * Same currency is the identity with no quote. Returns undefined when no rate is known: the caller records
 * an exception ("no FX rate") rather than guessing.
 */
export function convertAmount(
  amount: Decimal,
  from: string,
  to: string,
  date: string,
  fx: FxRates,
  throughPosition?: number,
): { amount: Decimal; quote?: FxQuote } | undefined {
  if (from === to) return { amount };
  const quote = fx.rateOn(from, to, date, throughPosition);
  if (quote === undefined) return undefined;
  return { amount: amount.times(quote.rate), quote };
}
