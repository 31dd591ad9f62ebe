import {
  type DomainEvent,
  formatPath,
  isKnownCurrency,
  minorUnits,
  type ParseResult,
  parseEvent,
  ROUNDING_MODES,
  type RoundingMode,
  type ValidationIssue,
} from "@icm/events";
import { z } from "zod";
import { PERIOD_MONTHS, type PeriodKind } from "../calendar/index.js";
import { ComponentSchema } from "./components.js";
import {
  enumField,
  FractionField,
  NonNegativeIntegerField,
  objectField,
  PlanCurrencyField,
} from "./fields.js";
import type { PlanDefinition, PlanVersion } from "./types.js";

const HoldbackSchema = objectField({ fraction: FractionField, releaseAfterDays: NonNegativeIntegerField });

const PaymentTimingSchema = z.discriminatedUnion(
  "kind",
  [
    objectField({ kind: z.literal("on_close"), holdback: z.exactOptional(HoldbackSchema) }),
    objectField({ kind: z.literal("on_collection"), holdback: z.exactOptional(HoldbackSchema) }),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union" || issue.code === "invalid_type"
        ? 'must be { "kind": "on_close" } or { "kind": "on_collection" }, optionally with a holdback'
        : undefined,
  },
);

const PlanShape = objectField({
  currency: PlanCurrencyField,
  rounding: objectField({
    mode: enumField(ROUNDING_MODES as [RoundingMode, ...RoundingMode[]]),
    scale: NonNegativeIntegerField,
  }),
  quotaPeriod: enumField(["month", "quarter", "year"]),
  payoutPeriod: enumField(["month", "quarter"]),
  measure: enumField(["amount", "margin"]),
  cumulative: enumField(["period", "ytd"]),
  paymentTiming: PaymentTimingSchema,
  clawback: z.exactOptional(
    objectField({ windowDays: NonNegativeIntegerField, method: enumField(["recompute", "original_rate"]) }),
  ),
  components: z
    .array(ComponentSchema, { error: "must be a list of components" })
    .min(1, "a plan needs at least one component"),
}).superRefine((plan, ctx) => checkPlan(plan, ctx), { when: () => true });

/**
 * Plan-wide rules. Runs even when fields have errors (so every problem is reported at once), reading the
 * input defensively.
 */
function checkPlan(plan: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  if (typeof plan !== "object" || plan === null) return;
  const { currency, rounding, quotaPeriod, payoutPeriod, paymentTiming, components } = plan as Record<
    string,
    unknown
  >;
  const timingKind =
    typeof paymentTiming === "object" && paymentTiming !== null
      ? (paymentTiming as { kind?: unknown }).kind
      : undefined;
  const scale =
    typeof rounding === "object" && rounding !== null ? (rounding as { scale?: unknown }).scale : undefined;
  if (typeof currency === "string" && isKnownCurrency(currency) && Number.isInteger(scale)) {
    const units = minorUnits(currency);
    if ((scale as number) > units) {
      ctx.addIssue({
        code: "custom",
        path: ["rounding", "scale"],
        message: `must be at most ${units}: a ${currency} ledger line cannot hold fractions of the currency's smallest unit`,
      });
    }
  }
  if (
    typeof quotaPeriod === "string" &&
    typeof payoutPeriod === "string" &&
    Object.hasOwn(PERIOD_MONTHS, quotaPeriod) &&
    Object.hasOwn(PERIOD_MONTHS, payoutPeriod) &&
    PERIOD_MONTHS[payoutPeriod as PeriodKind] > PERIOD_MONTHS[quotaPeriod as PeriodKind]
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["payoutPeriod"],
      message: `a ${payoutPeriod} payout period must not be longer than the ${quotaPeriod} quota period`,
    });
  }
  if (!Array.isArray(components)) return;
  const firstIndexOfId = new Map<string, number>();
  let firstDraw: number | undefined;
  for (const [index, component] of components.entries()) {
    if (typeof component !== "object" || component === null) continue;
    const { id, kind, lines } = component as { id?: unknown; kind?: unknown; lines?: unknown };
    if (kind === "overlay" && lines === "per_report" && timingKind === "on_collection") {
      ctx.addIssue({
        code: "custom",
        path: ["components", index, "lines"],
        message:
          'must be "per_deal" when paymentTiming is "on_collection": overlay follows each deal\'s cash, so it needs a line per deal',
      });
    }
    if (typeof id === "string") {
      const earlier = firstIndexOfId.get(id);
      if (earlier === undefined) firstIndexOfId.set(id, index);
      else {
        ctx.addIssue({
          code: "custom",
          path: ["components", index, "id"],
          message: `component ids must be unique: ${JSON.stringify(id)} is already used by components[${earlier}]`,
        });
      }
    }
    if (kind === "draw") {
      if (firstDraw === undefined) firstDraw = index;
      else {
        ctx.addIssue({
          code: "custom",
          path: ["components", index, "kind"],
          message: `a plan may have at most one draw (components[${firstDraw}] is already a draw)`,
        });
      }
    }
  }
}

// Compile-time checks: what the schema produces is a PlanDefinition, and (up to readonly) every field of
// PlanDefinition is produced by the schema, so the type and the schema cannot drift apart.
type Equivalent<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;
type PlanOutput = z.output<typeof PlanShape>;
const outputIsPlanDefinition: PlanOutput extends PlanDefinition ? true : false = true;
const schemaCoversPlanDefinition: Equivalent<PlanOutput, DeepMutable<PlanDefinition>> = true;
void outputIsPlanDefinition;
void schemaCoversPlanDefinition;

/** The plan language (DOMAIN.md §4); the only place plan definitions are validated. */
export const PlanDefinitionSchema: z.ZodType<PlanDefinition> = PlanShape;

function issuesOf(error: z.ZodError, prefix?: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      // One issue per key, pointing at the key itself: "components[0].rtae" tells the analyst where the typo is.
      for (const key of issue.keys) {
        issues.push({
          path: formatPath([...issue.path, key], prefix),
          rule: "is not a field of the plan language here (check the spelling)",
        });
      }
    } else {
      issues.push({ path: formatPath(issue.path, prefix), rule: issue.message });
    }
  }
  return issues;
}

/**
 * Validates a plan definition. Never throws on bad input: every problem comes back as an issue with the
 * path (e.g. `components[0].bands[1].from`) and the rule in words.
 */
export function parsePlanDefinition(raw: unknown): ParseResult<PlanDefinition> {
  const parsed = PlanShape.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) };
  return { ok: true, value: parsed.data };
}

/**
 * Validates an incoming event: the envelope and body (parseEvent from @icm/events, with upcasting), and for
 * PlanVersionPublished the plan definition in depth, with paths such as `data.definition.components[0].bands[1].from`.
 */
export function validateEvent(raw: unknown): ParseResult<DomainEvent> {
  const parsed = parseEvent(raw);
  if (!parsed.ok || parsed.value.type !== "PlanVersionPublished") return parsed;
  const definition = PlanShape.safeParse(parsed.value.data.definition);
  if (!definition.success) return { ok: false, issues: issuesOf(definition.error, "data.definition") };
  return parsed;
}

/** The engine's view of a PlanVersionPublished body, with its definition validated. */
export function planVersionOf(data: {
  planId: string;
  version: number;
  name: string;
  definition: unknown;
}): ParseResult<PlanVersion> {
  const definition = parsePlanDefinition(data.definition);
  if (!definition.ok) {
    return {
      ok: false,
      issues: definition.issues.map((i) => ({
        path: i.path === "$" ? "definition" : `definition.${i.path}`,
        rule: i.rule,
      })),
    };
  }
  return {
    ok: true,
    value: { planId: data.planId, version: data.version, name: data.name, definition: definition.value },
  };
}
