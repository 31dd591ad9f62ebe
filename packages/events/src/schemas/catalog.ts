import { z } from "zod";
import {
  BusinessDate,
  Currency,
  DecimalString,
  Id,
  Instant,
  JsonValueSchema,
  LocalDate,
  NonNegativeDecimalString,
  PeriodId,
  ShareString,
} from "./common.js";

// One zod schema per event type of DOMAIN.md §2, at its current schemaVersion. Older versions live in
// ../upcast with the function that lifts them to the current shape.

export const CalendarConfigured = z.strictObject({
  timeZone: z.string().min(1, "must be an IANA time zone such as America/New_York"),
  fiscalYearStartMonth: z.number().int().min(1, "must be 1..12").max(12, "must be 1..12"),
  effectiveFrom: LocalDate,
});

export const RepOnboarded = z.strictObject({
  repId: Id,
  name: z.string().min(1, "must not be empty").max(200),
  planCurrency: Currency,
  hireDate: LocalDate,
  managerId: Id.nullable().optional(),
  email: z.string().max(320).optional(),
});

export const RepManagerChanged = z.strictObject({
  repId: Id,
  managerId: Id.nullable(),
  effectiveDate: LocalDate,
});

export const RepTerminated = z.strictObject({
  repId: Id,
  terminationDate: LocalDate,
  reason: z.string().max(500).optional(),
});

export const PlanVersionPublished = z.strictObject({
  planId: Id,
  version: z.number().int().min(1, "must be a version number from 1"),
  name: z.string().min(1).max(200),
  /** The plan definition (DOMAIN.md §4); validated in depth by the engine's plan language. */
  definition: z.record(z.string(), JsonValueSchema),
});

export const PlanAssigned = z
  .strictObject({
    repId: Id,
    planId: Id,
    version: z.number().int().min(1),
    effectiveFrom: LocalDate,
    effectiveTo: LocalDate.nullable().optional(),
  })
  .refine((a) => a.effectiveTo == null || a.effectiveTo >= a.effectiveFrom, {
    path: ["effectiveTo"],
    message: "must not be before effectiveFrom",
  });

export const QuotaSet = z.strictObject({
  repId: Id,
  period: PeriodId,
  amount: NonNegativeDecimalString,
  currency: Currency,
});

export const CreditSplit = z.strictObject({ repId: Id, share: ShareString });

export const DealClosed = z.strictObject({
  dealId: Id,
  amount: NonNegativeDecimalString,
  currency: Currency,
  closeDate: BusinessDate,
  product: z.string().min(1).max(100),
  dealType: z.string().min(1).max(100),
  margin: DecimalString.optional(),
  customer: z.string().max(200).optional(),
  splits: z.array(CreditSplit).min(1, "must have at least one split").max(50, "must have at most 50 splits"),
});

/** Replaces the named fields of a deal from `effectiveDate` on; fields left out keep their value. */
export const DealAmended = z.strictObject({
  dealId: Id,
  amount: NonNegativeDecimalString.optional(),
  currency: Currency.optional(),
  closeDate: BusinessDate.optional(),
  product: z.string().min(1).max(100).optional(),
  dealType: z.string().min(1).max(100).optional(),
  margin: DecimalString.optional(),
  splits: z.array(CreditSplit).min(1).max(50).optional(),
  reason: z.string().max(500).optional(),
});

export const DealCancelled = z.strictObject({
  dealId: Id,
  cancelDate: BusinessDate,
  reason: z.string().min(1, "must say why").max(500),
});

export const PaymentReceived = z.strictObject({
  paymentId: Id,
  dealId: Id,
  amount: NonNegativeDecimalString,
  currency: Currency,
  receivedDate: BusinessDate,
});

export const FxRatePublished = z
  .strictObject({
    base: Currency,
    quote: Currency,
    rate: DecimalString.refine((s) => !s.startsWith("-") && !/^0(\.0+)?$/.test(s), "must be greater than 0"),
    effectiveDate: LocalDate,
  })
  .refine((r) => r.base !== r.quote, { path: ["quote"], message: "must differ from base" });

export const AdjustmentRecorded = z.strictObject({
  adjustmentId: Id,
  repId: Id,
  period: PeriodId,
  amount: DecimalString,
  currency: Currency,
  reason: z.string().min(1, "must say why").max(500),
  author: z.string().min(1).max(200),
  countsTowardQuota: z.boolean(),
});

export const DisputeRaised = z.strictObject({
  disputeId: Id,
  repId: Id,
  period: PeriodId,
  dealId: Id.optional(),
  reason: z.string().min(1).max(2000),
  raisedBy: z.string().min(1).max(200),
});

export const DisputeResolved = z.strictObject({
  disputeId: Id,
  resolution: z.string().min(1).max(2000),
  resolvedBy: z.string().min(1).max(200),
});

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a hex SHA-256");

export const PeriodClosed = z.strictObject({
  period: PeriodId,
  /** Global log position the close was computed through (inclusive). */
  throughPosition: z.number().int().min(0),
  chainHead: Sha256Hex,
  planVersions: z.array(z.strictObject({ planId: Id, version: z.number().int().min(1) })),
  engineVersion: z.string().min(1),
  statements: z.array(
    z.strictObject({ repId: Id, currency: Currency, payable: DecimalString, digest: Sha256Hex }),
  ),
  merkleRoot: Sha256Hex,
  closedBy: z.string().min(1).max(200),
  closedAt: Instant.optional(),
  override: z
    .strictObject({
      reason: z.string().min(1, "an override must say why"),
      exceptions: z.array(z.string()),
    })
    .optional(),
});

/** Every current event type, by name, with its current schema version. */
export const EVENT_SCHEMAS = {
  CalendarConfigured: { schemaVersion: 1, schema: CalendarConfigured },
  RepOnboarded: { schemaVersion: 1, schema: RepOnboarded },
  RepManagerChanged: { schemaVersion: 1, schema: RepManagerChanged },
  RepTerminated: { schemaVersion: 1, schema: RepTerminated },
  PlanVersionPublished: { schemaVersion: 1, schema: PlanVersionPublished },
  PlanAssigned: { schemaVersion: 1, schema: PlanAssigned },
  QuotaSet: { schemaVersion: 1, schema: QuotaSet },
  DealClosed: { schemaVersion: 2, schema: DealClosed },
  DealAmended: { schemaVersion: 1, schema: DealAmended },
  DealCancelled: { schemaVersion: 1, schema: DealCancelled },
  PaymentReceived: { schemaVersion: 1, schema: PaymentReceived },
  FxRatePublished: { schemaVersion: 1, schema: FxRatePublished },
  AdjustmentRecorded: { schemaVersion: 1, schema: AdjustmentRecorded },
  DisputeRaised: { schemaVersion: 1, schema: DisputeRaised },
  DisputeResolved: { schemaVersion: 1, schema: DisputeResolved },
  PeriodClosed: { schemaVersion: 1, schema: PeriodClosed },
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS).sort() as EventType[];

export type EventData = { [K in EventType]: z.output<(typeof EVENT_SCHEMAS)[K]["schema"]> };
