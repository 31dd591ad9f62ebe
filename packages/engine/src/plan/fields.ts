import { DECIMAL_STRING_PATTERN, Decimal, Id, isKnownCurrency, LocalDate } from "@icm/events";
import { z } from "zod";

// Field-level rules of the plan language, with messages written for the finance analyst who typed the plan.

const NOT_DECIMAL_TEXT =
  'must be a decimal in quotes, such as "0.10" (plain numbers are not accepted: they lose precision)';

/** A decimal string's value, or undefined when the text is not a decimal string (another rule reports that). */
export function decimalOf(value: unknown): Decimal | undefined {
  return typeof value === "string" && DECIMAL_STRING_PATTERN.test(value) ? new Decimal(value) : undefined;
}

/**
 * The fields of a value that may not be an object at all. Cross-field rules run even when the structure
 * is broken (so every problem is reported at once) and must never throw on what they find.
 */
export function fieldsOf(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function requiredOr(message: string, required = "is required") {
  return (issue: { input?: unknown }) => (issue.input === undefined ? required : message);
}

const decimalText = (notText: string = NOT_DECIMAL_TEXT, required?: string) =>
  z
    .string({ error: requiredOr(notText, required) })
    .regex(
      DECIMAL_STRING_PATTERN,
      'must be a decimal such as "0.10" or "1250.00" (no exponent, no thousands separators)',
    );

/** Rates, multipliers, amounts: zero or more. */
export const NonNegativeDecimalField = decimalText().refine(
  (s) => !(decimalOf(s)?.isNegative() ?? false),
  "must not be negative",
);

/** The upper end of a rate band: zero or more, or null for the open-ended last band. */
export const BandEndField = decimalText(
  'must be a decimal in quotes such as "1.5", or null for the open-ended last band',
  'is required: a decimal such as "1.5", or null for the open-ended last band',
)
  .refine((s) => !(decimalOf(s)?.isNegative() ?? false), "must not be negative")
  .nullable();

/** Strictly positive, e.g. an attainment cap. */
export const PositiveDecimalField = decimalText().refine((s) => {
  const value = decimalOf(s);
  return value === undefined || (value.isPositive() && !value.isZero());
}, "must be greater than 0");

/** A fraction from 0 to 1 inclusive ("0.2" = 20%). */
export const FractionField = decimalText().refine((s) => {
  const value = decimalOf(s);
  return value === undefined || (value.greaterThanOrEqualTo(0) && value.lessThanOrEqualTo(1));
}, 'must be a fraction from "0" to "1" ("0.2" = 20%)');

/** A count of days or levels: a whole number, zero or more. */
export const NonNegativeIntegerField = z
  .number({ error: requiredOr("must be a whole number such as 30") })
  .int("must be a whole number")
  .min(0, "must not be negative");

export const PositiveIntegerField = z
  .number({ error: requiredOr("must be a whole number such as 2") })
  .int("must be a whole number")
  .min(1, "must be 1 or more");

export const NameField = z
  .string({ error: requiredOr("must be text") })
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters");

export const ComponentIdField = Id;

export const PlanCurrencyField = z
  .string({ error: requiredOr("must be an ISO 4217 code such as USD") })
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
  // Only ask about minor units once the code is well-formed, so a typo gets one message, not two.
  .refine(
    (code) => !/^[A-Z]{3}$/.test(code) || isKnownCurrency(code),
    "must be a currency with a known minor-unit rule (see the currency list)",
  );

export const DateField = LocalDate;

export function enumField<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? "is required"
        : `must be one of ${values.join(", ")}; got ${JSON.stringify(issue.input)}`,
  });
}

export const BooleanField = z.boolean({ error: requiredOr("must be true or false") });

/** A closed object: an unknown key is an error (a typo in a plan must not be silently ignored). */
export function objectField<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "invalid_type"
        ? issue.input === undefined
          ? "is required"
          : "must be an object { ... }"
        : undefined,
  });
}
