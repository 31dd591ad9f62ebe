/**
 * ISO 4217 minor units for the currencies the engine knows how to round. A plan or event in a currency
 * that is not listed here is rejected: without a minor-unit rule we cannot round a ledger line.
 */
export const CURRENCY_MINOR_UNITS: Readonly<Record<string, number>> = Object.freeze({
  AED: 2,
  AUD: 2,
  BHD: 3,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  ISK: 0,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PHP: 2,
  PLN: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TRY: 2,
  TWD: 2,
  USD: 2,
  ZAR: 2,
});

export function isKnownCurrency(code: string): boolean {
  return Object.hasOwn(CURRENCY_MINOR_UNITS, code);
}

export function minorUnits(code: string): number {
  const units = CURRENCY_MINOR_UNITS[code];
  if (units === undefined) throw new RangeError(`currency ${code} has no minor-unit rule`);
  return units;
}
