import { z } from "zod";
import { isKnownCurrency } from "../money/currency.js";
import { DECIMAL_STRING_PATTERN } from "../money/decimal.js";

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const ID_MAX_LENGTH = 200;

/** Identifiers supplied by source systems: non-empty, bounded, printable. */
export const Id = z
  .string()
  .min(1, "must not be empty")
  .max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`)
  .regex(PRINTABLE_ASCII, "must be printable ASCII without spaces");

/** What `Id` accepts, as one test (the hand-written parse of the frequent events uses it). */
export function isId(s: string): boolean {
  return s.length >= 1 && s.length <= ID_MAX_LENGTH && PRINTABLE_ASCII.test(s);
}

export const DecimalString = z
  .string()
  .regex(DECIMAL_STRING_PATTERN, 'must be a decimal string such as "1250.00"');

/** What `DecimalString` accepts. */
export function isDecimalString(s: string): boolean {
  return DECIMAL_STRING_PATTERN.test(s);
}

function isNonNegative(s: string): boolean {
  return !s.startsWith("-");
}

export const NonNegativeDecimalString = DecimalString.refine(isNonNegative, "must not be negative");

/** What `NonNegativeDecimalString` accepts. */
export function isNonNegativeDecimalString(s: string): boolean {
  return isDecimalString(s) && isNonNegative(s);
}

/** A split share: a decimal in (0, 1]. Whether shares sum to 1 is checked by crediting (an exception). */
export const ShareString = DecimalString.refine(isShare, "must be a share greater than 0 and at most 1");

/** What `ShareString` accepts. */
export function isShareString(s: string): boolean {
  return isDecimalString(s) && isShare(s);
}

/**
 * "1" with only zeros after the point, or "0." with a non-zero digit: a decimal in (0, 1]. zod runs it on
 * any string (checks do not stop at the first failure), so it answers exactly as the split-based test it
 * replaced did on every string (a law in common.unit.spec.ts), reading in place instead of allocating:
 * every split of every deal event passes here.
 */
export function isShare(s: string): boolean {
  const dot = s.indexOf(".");
  if ((dot < 0 ? s.length : dot) !== 1) return false;
  const first = s.charCodeAt(0);
  if (first !== 48 /* 0 */ && first !== 49 /* 1 */) return false;
  // The fraction as split(".") gives it: from the first point to the next one.
  const from = dot < 0 ? 1 : dot + 1;
  let end = dot < 0 ? 1 : s.indexOf(".", from);
  if (end < 0) end = s.length;
  if (first === 49) {
    for (let i = from; i < end; i += 1) if (s.charCodeAt(i) !== 48) return false;
    return true;
  }
  for (let i = from; i < end; i += 1) {
    const c = s.charCodeAt(i);
    if (c >= 49 && c <= 57) return true;
  }
  return false;
}

const CURRENCY_CODE = /^[A-Z]{3}$/;

export const Currency = z
  .string()
  .regex(CURRENCY_CODE, "must be an ISO 4217 code such as USD")
  .refine(isKnownCurrency, "must be a currency with a known minor-unit rule");

/** What `Currency` accepts. */
export function isCurrency(s: string): boolean {
  return CURRENCY_CODE.test(s) && isKnownCurrency(s);
}

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** The digit at `index` of a string already known to be a digit there. */
function digitAt(text: string, index: number): number {
  return text.charCodeAt(index) - 48;
}

/**
 * Whether `YYYY-MM-DD` names a day of the Gregorian calendar. Every stored event has a date or two, and the
 * Date object this used to build per call was a sixth of validating a DealClosed; the answers are the same,
 * including Date.UTC's reading of years 0000-0099 as 1900-1999 (so 0000-02-29 stays invalid), which a law
 * in common.unit.spec.ts checks against the Date-based definition.
 */
export function isValidCalendarDate(text: string): boolean {
  if (!DATE_SHAPE.test(text)) return false;
  const year = digitAt(text, 0) * 1000 + digitAt(text, 1) * 100 + digitAt(text, 2) * 10 + digitAt(text, 3);
  const month = digitAt(text, 5) * 10 + digitAt(text, 6);
  const day = digitAt(text, 8) * 10 + digitAt(text, 9);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year < 100 ? year + 1900 : year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1] as number;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/** A calendar date, `YYYY-MM-DD`, with no time zone: interpreted in the company zone. */
export const LocalDate = z.string().refine(isValidCalendarDate, "must be a calendar date YYYY-MM-DD");

const INSTANT =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isInstant(s: string): boolean {
  return INSTANT.test(s) && isValidCalendarDate(s.slice(0, 10));
}

/** An instant with an explicit offset, `2026-03-15T23:30:00-05:00` or `...Z`. */
export const Instant = z.string().refine(isInstant, "must be an ISO 8601 date-time with an offset");

/** Business time of a fact: a calendar date, or an instant that the company zone maps to a date. */
export const BusinessDate = z.union([LocalDate, Instant], {
  error: "must be a date YYYY-MM-DD or an ISO 8601 date-time with an offset",
});

/** What `BusinessDate` accepts. */
export function isBusinessDate(s: string): boolean {
  return isValidCalendarDate(s) || isInstant(s);
}

/** Period ids: `2026-03` (month), `2026-Q1` (fiscal quarter), `FY2026` (fiscal year). */
export const PeriodId = z
  .string()
  .regex(
    /^(\d{4}-(0[1-9]|1[0-2])|\d{4}-Q[1-4]|FY\d{4})$/,
    "must be a period id such as 2026-03, 2026-Q1 or FY2026",
  );

export const JsonValueSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union(
    [
      z.string(),
      z.number().int("must be an integer; send decimals as strings"),
      z.boolean(),
      z.null(),
      z.array(JsonValueSchema),
      z.record(z.string(), JsonValueSchema),
    ],
    {
      error:
        "must be a JSON value: a string, an integer, a boolean, null, an array or an object (send decimals as strings)",
    },
  ),
);
