import { z } from "zod";
import {
  BandEndField,
  BooleanField,
  ComponentIdField,
  DateField,
  decimalOf,
  enumField,
  fieldsOf,
  NameField,
  NonNegativeDecimalField,
  objectField,
  PositiveDecimalField,
  PositiveIntegerField,
} from "./fields.js";
import type { Component } from "./types.js";

export const COMPONENT_KINDS = [
  "rate_table",
  "bonus",
  "spiff",
  "overlay",
  "draw",
] as const satisfies readonly Component["kind"][];

const nonEmptyList = (what: string) =>
  z
    .array(z.string({ error: "must be text" }).min(1, "must not be empty"), {
      error: `must be a list of ${what}`,
    })
    .min(1, `must list at least one ${what.replace(/s$/, "")} (leave the field out to match any)`);

export const DealFilterSchema = objectField({
  products: z.exactOptional(nonEmptyList("products")),
  dealTypes: z.exactOptional(nonEmptyList("deal types")),
  closeDateFrom: z.exactOptional(DateField),
  closeDateTo: z.exactOptional(DateField),
  minAmount: z.exactOptional(NonNegativeDecimalField),
}).superRefine(
  (filter, ctx) => {
    const { closeDateFrom, closeDateTo } = fieldsOf(filter);
    if (typeof closeDateFrom === "string" && typeof closeDateTo === "string" && closeDateTo < closeDateFrom) {
      ctx.addIssue({
        code: "custom",
        path: ["closeDateTo"],
        message: `must not be before closeDateFrom (${closeDateFrom})`,
      });
    }
  },
  { when: () => true },
);

export const EarningsCapSchema = objectField({
  perPeriod: z.exactOptional(NonNegativeDecimalField),
  perYear: z.exactOptional(NonNegativeDecimalField),
}).superRefine(
  (cap, ctx) => {
    if (typeof cap === "object" && cap !== null && !("perPeriod" in cap) && !("perYear" in cap)) {
      ctx.addIssue({ code: "custom", path: [], message: "an earnings cap needs perPeriod or perYear" });
    }
  },
  { when: () => true },
);

const RateBandSchema = objectField({
  from: NonNegativeDecimalField,
  to: BandEndField,
  rate: z.exactOptional(NonNegativeDecimalField),
  multiplier: z.exactOptional(NonNegativeDecimalField),
});

const RateTableSchema = objectField({
  kind: z.literal("rate_table"),
  id: ComponentIdField,
  name: NameField,
  method: enumField(["marginal", "retroactive"]),
  bands: z
    .array(RateBandSchema, { error: "must be a list of bands" })
    .min(1, "a rate table needs at least one band"),
  targetIncentive: z.exactOptional(NonNegativeDecimalField),
  gate: z.exactOptional(
    objectField({
      threshold: NonNegativeDecimalField,
      payFrom: enumField(["first_dollar", "above_threshold"]),
    }),
  ),
  attainmentCap: z.exactOptional(PositiveDecimalField),
  earningsCap: z.exactOptional(EarningsCapSchema),
  filter: z.exactOptional(DealFilterSchema),
}).superRefine((table, ctx) => checkBands(table, ctx), { when: () => true });

/**
 * Cross-band rules: contiguous, ascending, starting at 0, only the last open-ended, exactly one of rate or
 * multiplier. Runs even when a band has a field error, so the analyst sees every problem at once; it
 * therefore reads the input defensively and skips what another rule already reported.
 */
function checkBands(table: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  if (typeof table !== "object" || table === null) return;
  const { bands, targetIncentive } = table as { bands?: unknown; targetIncentive?: unknown };
  if (!Array.isArray(bands)) return;
  let usesMultiplier = false;
  for (const [index, band] of bands.entries()) {
    if (typeof band !== "object" || band === null) continue;
    const { from, to, rate, multiplier } = band as Record<string, unknown>;
    const path = (field: string) => ["bands", index, field];
    if (rate === undefined && multiplier === undefined) {
      ctx.addIssue({
        code: "custom",
        path: path("rate"),
        message: "a band needs either a rate or a multiplier",
      });
    }
    if (rate !== undefined && multiplier !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: path("multiplier"),
        message: "a band has either a rate or a multiplier, not both",
      });
    }
    if (multiplier !== undefined) usesMultiplier = true;
    const fromValue = decimalOf(from);
    const toValue = decimalOf(to);
    if (index === 0 && fromValue !== undefined && !fromValue.isZero()) {
      ctx.addIssue({
        code: "custom",
        path: path("from"),
        message: 'the first band must start at "0" (0% attainment)',
      });
    }
    if (fromValue !== undefined && toValue !== undefined && toValue.lessThanOrEqualTo(fromValue)) {
      ctx.addIssue({
        code: "custom",
        path: path("to"),
        message: `must be greater than from (${String(from)})`,
      });
    }
    const isLast = index === bands.length - 1;
    if (to === null && !isLast) {
      ctx.addIssue({
        code: "custom",
        path: path("to"),
        message: "only the last band may be open-ended (to = null)",
      });
    }
    if (isLast && typeof to === "string") {
      ctx.addIssue({
        code: "custom",
        path: path("to"),
        message:
          "the last band must be open-ended (to = null) so every attainment has a rate; use attainmentCap to stop counting",
      });
    }
    const previous = index > 0 ? (bands[index - 1] as unknown) : undefined;
    if (fromValue === undefined || typeof previous !== "object" || previous === null) continue;
    const previousFrom = decimalOf((previous as Record<string, unknown>).from);
    const previousTo = decimalOf((previous as Record<string, unknown>).to);
    if (previousFrom !== undefined && fromValue.lessThan(previousFrom)) {
      ctx.addIssue({ code: "custom", path: path("from"), message: "bands are not in ascending order" });
    } else if (previousTo !== undefined && fromValue.lessThan(previousTo)) {
      ctx.addIssue({
        code: "custom",
        path: path("from"),
        message: `bands overlap: this band starts at ${String(from)} but the previous one runs to ${previousTo.toFixed()}`,
      });
    } else if (previousTo !== undefined && fromValue.greaterThan(previousTo)) {
      ctx.addIssue({
        code: "custom",
        path: path("from"),
        message: `bands leave a gap: the previous band ends at ${previousTo.toFixed()} but this one starts at ${String(from)}`,
      });
    }
  }
  if (usesMultiplier && targetIncentive === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["targetIncentive"],
      message: "is required when a band uses a multiplier (base rate = targetIncentive / quota)",
    });
  }
}

const BonusSchema = objectField({
  kind: z.literal("bonus"),
  id: ComponentIdField,
  name: NameField,
  attainmentLevel: NonNegativeDecimalField,
  amount: NonNegativeDecimalField,
});

const SpiffPayoutSchema = z.discriminatedUnion(
  "kind",
  [
    objectField({ kind: z.literal("fixed"), amount: NonNegativeDecimalField }),
    objectField({ kind: z.literal("rate"), rate: NonNegativeDecimalField }),
  ],
  {
    error: (issue) =>
      isKindIssue(issue.code) ? unknownKindMessage("payout kind", issue.input, ["fixed", "rate"]) : undefined,
  },
);

const SpiffSchema = objectField({
  kind: z.literal("spiff"),
  id: ComponentIdField,
  name: NameField,
  filter: DealFilterSchema,
  payout: SpiffPayoutSchema,
  earningsCap: z.exactOptional(EarningsCapSchema),
});

const OverlaySchema = objectField({
  kind: z.literal("overlay"),
  id: ComponentIdField,
  name: NameField,
  rate: NonNegativeDecimalField,
  maxDepth: z.exactOptional(PositiveIntegerField),
  lines: z.exactOptional(enumField(["per_deal", "per_report"])),
  earningsCap: z.exactOptional(EarningsCapSchema),
});

const DrawSchema = objectField({
  kind: z.literal("draw"),
  id: ComponentIdField,
  name: NameField,
  amount: NonNegativeDecimalField,
  recoverable: BooleanField,
  recoveryCapPerPeriod: z.exactOptional(NonNegativeDecimalField),
}).superRefine(
  (draw, ctx) => {
    const { recoverable, recoveryCapPerPeriod } = fieldsOf(draw);
    if (recoveryCapPerPeriod !== undefined && recoverable === false) {
      ctx.addIssue({
        code: "custom",
        path: ["recoveryCapPerPeriod"],
        message: "only a recoverable draw can have a recovery cap (this draw has recoverable: false)",
      });
    }
  },
  { when: () => true },
);

function isKindIssue(code: string | undefined): boolean {
  return code === "invalid_union" || code === "invalid_type";
}

function unknownKindMessage(what: string, input: unknown, expected: readonly string[]): string | undefined {
  const kind = typeof input === "object" && input !== null ? (input as { kind?: unknown }).kind : undefined;
  const list = expected.join(", ");
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return `must be an object with a kind (one of ${list})`;
  if (kind === undefined) return `is required: the ${what}, one of ${list}`;
  return `unknown ${what} ${JSON.stringify(kind)}; expected one of ${list}`;
}

export const ComponentSchema = z.discriminatedUnion(
  "kind",
  [RateTableSchema, BonusSchema, SpiffSchema, OverlaySchema, DrawSchema],
  {
    error: (issue) =>
      isKindIssue(issue.code)
        ? unknownKindMessage("component kind", issue.input, COMPONENT_KINDS)
        : undefined,
  },
);
