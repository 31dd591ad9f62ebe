import { z } from "zod";
import { isKnownCurrency } from "../money/currency.js";
import { DECIMAL_STRING_PATTERN } from "../money/decimal.js";

/** Identifiers supplied by source systems: non-empty, bounded, printable. */
export const Id = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export const DecimalString = z
  .string()
  .regex(DECIMAL_STRING_PATTERN, 'must be a decimal string such as "1250.00"');

export const NonNegativeDecimalString = DecimalString.refine(
  (s) => !s.startsWith("-"),
  "must not be negative",
);

/** A split share: a decimal in (0, 1]. Whether shares sum to 1 is checked by crediting (an exception). */
export const ShareString = DecimalString.refine((s) => {
  if (s.startsWith("-")) return false;
  const [whole, fraction = ""] = s.split(".");
  if (whole === "1") return /^0*$/.test(fraction);
  return whole === "0" && /[1-9]/.test(fraction);
}, "must be a share greater than 0 and at most 1");

export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
  .refine(isKnownCurrency, "must be a currency with a known minor-unit rule");

function isValidCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/** A calendar date, `YYYY-MM-DD`, with no time zone: interpreted in the company zone. */
export const LocalDate = z.string().refine(isValidCalendarDate, "must be a calendar date YYYY-MM-DD");

const INSTANT =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** An instant with an explicit offset, `2026-03-15T23:30:00-05:00` or `...Z`. */
export const Instant = z
  .string()
  .refine(
    (s) => INSTANT.test(s) && isValidCalendarDate(s.slice(0, 10)),
    "must be an ISO 8601 date-time with an offset",
  );

/** Business time of a fact: a calendar date, or an instant that the company zone maps to a date. */
export const BusinessDate = z.union([LocalDate, Instant], {
  error: "must be a date YYYY-MM-DD or an ISO 8601 date-time with an offset",
});

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
