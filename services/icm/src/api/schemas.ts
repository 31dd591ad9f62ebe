import { Currency, DecimalString, Id, PeriodId } from "@icm/events";
import { z } from "zod";

// Request shapes of every route, in zod. Field rules reuse the event schemas' (ids, periods, decimals,
// currencies) so the API rejects exactly what the log would reject, with the same messages.

const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a calendar date YYYY-MM-DD");
const Position = z
  .string()
  .regex(/^\d{1,15}$/, "must be a log position (a whole number >= 0)")
  .transform(Number);

export const PeriodParams = z.strictObject({ period: PeriodId });
export const StatementParams = z.strictObject({ repId: Id, period: PeriodId });
export const EntryParams = z.strictObject({
  repId: Id,
  period: PeriodId,
  entryId: z.string().min(1).max(500),
});
export const ProofParams = z.strictObject({ period: PeriodId, repId: Id });

/** `asOf` is a log position (digits) or an ISO 8601 time; the statement as it was then. */
export const AsOfQuery = z.strictObject({
  asOf: z
    .string()
    .regex(
      /^(\d{1,15}|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)$/,
      "must be a log position or an ISO 8601 time such as 2026-04-01T09:00:00Z",
    )
    .optional(),
});

export const DiffQuery = z.strictObject({ from: Position, to: Position });

export const WhatIfBody = z.strictObject({
  repId: Id,
  deal: z.strictObject({
    amount: DecimalString,
    currency: Currency,
    closeDate: LocalDate,
    product: z.string().min(1).max(200),
    dealType: z.string().min(1).max(200),
    share: DecimalString.optional(),
  }),
});

export const CloseBody = z
  .strictObject({
    override: z.strictObject({ reason: z.string().trim().min(1, "must say why").max(500) }).optional(),
  })
  .default({});

export const AdjustmentBody = z.strictObject({
  /** The client's idempotency key: posting the same adjustment twice records it once. */
  adjustmentId: Id,
  repId: Id,
  period: PeriodId,
  amount: DecimalString,
  currency: Currency,
  reason: z.string().trim().min(1, "must say why").max(500),
  countsTowardQuota: z.boolean().default(false),
});

export const PlanBody = z
  .strictObject({
    publish: z
      .strictObject({
        planId: Id,
        version: z.number().int().min(1),
        name: z.string().min(1).max(200),
        definition: z.record(z.string(), z.unknown()),
      })
      .optional(),
    assignments: z
      .array(
        z.strictObject({
          repId: Id,
          planId: Id,
          version: z.number().int().min(1),
          effectiveFrom: LocalDate,
          effectiveTo: LocalDate.optional(),
        }),
      )
      .max(10_000)
      .default([]),
  })
  .refine((b) => b.publish !== undefined || b.assignments.length > 0, {
    message: "publish a plan version, assign one, or both",
    path: ["publish"],
  });
