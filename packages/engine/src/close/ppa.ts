import { Decimal, formatDecimal } from "@icm/events";
import type { EntryKind, LedgerEntry } from "../ledger/types.js";

/**
 * Kinds that a prior-period adjustment restates: a closed period's own lines. Draw lines are not restated
 * (draw balances carry from the frozen statements) and adjustments to adjustments are netted by
 * `alreadyPosted` instead.
 */
export const RESTATED_KINDS: readonly EntryKind[] = [
  "earning",
  "true_up",
  "bonus",
  "spiff",
  "overlay",
  "clawback",
  "adjustment",
  "holdback",
  "holdback_release",
];

export interface LateFact {
  readonly eventId: string;
  readonly position: number;
}

export interface PriorPeriodInput {
  readonly repId: string;
  /** The closed payout period being corrected. */
  readonly closedPeriod: string;
  /** The first open payout period after it: where the correction is paid. */
  readonly targetPeriod: string;
  /** Business date of the correction lines (the first day of the target period). */
  readonly businessDate: string;
  readonly currency: string;
  readonly scale: number;
  /** The closed period's own lines as frozen at the close. */
  readonly frozen: readonly LedgerEntry[];
  /** The closed period's own lines recomputed from every fact up to now. */
  readonly recomputed: readonly LedgerEntry[];
  /** Corrections for the same closed period already paid in later, now closed, periods. */
  readonly alreadyPosted: readonly LedgerEntry[];
  /** Facts recorded after the close that touch the rep and the period (the corrections are traced to them). */
  readonly lateFacts: readonly LateFact[];
}

interface Bucket {
  readonly kind: EntryKind;
  readonly component: string;
  recomputed: Decimal;
  frozen: Decimal;
  posted: Decimal;
  readonly deals: Map<string, Decimal>;
  planId?: string;
  planVersion?: number;
}

const ZERO = new Decimal(0);

function keyOf(kind: string, component: string): string {
  return `${kind}|${component}`;
}

/**
 * Prior-period adjustments (DOMAIN §7): per (kind, component) of the closed period, recomputed − frozen −
 * already posted, as one `prior_period_adjustment` line each, so the rep sees which component changed and
 * nothing is ever posted twice. The per-deal breakdown of each difference is kept in the trace inputs.
 */
export function priorPeriodAdjustments(input: PriorPeriodInput): LedgerEntry[] {
  const buckets = new Map<string, Bucket>();
  const bucket = (kind: EntryKind, component: string): Bucket => {
    const key = keyOf(kind, component);
    let b = buckets.get(key);
    if (b === undefined) {
      b = { kind, component, recomputed: ZERO, frozen: ZERO, posted: ZERO, deals: new Map() };
      buckets.set(key, b);
    }
    return b;
  };
  const addDeal = (b: Bucket, e: LedgerEntry, sign: 1 | -1) => {
    const deal = e.dealId ?? "(no deal)";
    b.deals.set(deal, (b.deals.get(deal) ?? ZERO).plus(e.amount.times(sign)));
  };
  for (const e of input.recomputed) {
    if (!RESTATED_KINDS.includes(e.kind)) continue;
    const b = bucket(e.kind, e.trace.component ?? "");
    b.recomputed = b.recomputed.plus(e.amount);
    addDeal(b, e, 1);
    if (e.trace.planId !== undefined) b.planId = e.trace.planId;
    if (e.trace.planVersion !== undefined) b.planVersion = e.trace.planVersion;
  }
  for (const e of input.frozen) {
    if (!RESTATED_KINDS.includes(e.kind)) continue;
    const b = bucket(e.kind, e.trace.component ?? "");
    b.frozen = b.frozen.plus(e.amount);
    addDeal(b, e, -1);
    if (b.planId === undefined && e.trace.planId !== undefined) b.planId = e.trace.planId;
    if (b.planVersion === undefined && e.trace.planVersion !== undefined) b.planVersion = e.trace.planVersion;
  }
  for (const e of input.alreadyPosted) {
    if (e.kind !== "prior_period_adjustment" || e.trace.inputs.closedPeriod !== input.closedPeriod) continue;
    const kind = e.trace.inputs.originalKind as EntryKind | undefined;
    if (kind === undefined || !RESTATED_KINDS.includes(kind)) continue;
    const b = bucket(kind, e.trace.component ?? "");
    b.posted = b.posted.plus(e.amount);
  }
  const facts = [...new Map(input.lateFacts.map((f) => [f.eventId, f])).values()].sort(
    (a, b) => a.position - b.position,
  );
  const money = (v: Decimal) => formatDecimal(v, input.scale);
  const out: LedgerEntry[] = [];
  const ordered = [...buckets.values()].sort((a, b) => {
    const ka = keyOf(a.kind, a.component);
    const kb = keyOf(b.kind, b.component);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const b of ordered) {
    const amount = b.recomputed.minus(b.frozen).minus(b.posted);
    if (amount.isZero()) continue;
    const dealInputs: Record<string, string> = {};
    for (const deal of [...b.deals.keys()].sort()) {
      const delta = b.deals.get(deal) ?? ZERO;
      if (!delta.isZero()) dealInputs[`deal:${deal}`] = money(delta);
    }
    const componentText = b.component === "" ? b.kind : `${b.component} ${b.kind}`;
    out.push({
      id: `${input.repId}:${input.targetPeriod}:ppa:${input.closedPeriod}:${b.kind}:${b.component}`,
      repId: input.repId,
      kind: "prior_period_adjustment",
      amount,
      currency: input.currency,
      period: input.targetPeriod,
      businessDate: input.businessDate,
      trace: {
        sourceEventIds: facts.map((f) => f.eventId),
        positions: facts.map((f) => f.position),
        ...(b.planId === undefined ? {} : { planId: b.planId }),
        ...(b.planVersion === undefined ? {} : { planVersion: b.planVersion }),
        ...(b.component === "" ? {} : { component: b.component }),
        inputs: {
          closedPeriod: input.closedPeriod,
          originalKind: b.kind,
          recomputed: money(b.recomputed),
          closed: money(b.frozen),
          alreadyPosted: money(b.posted),
          ...dealInputs,
        },
        arithmetic: `${money(b.recomputed)} − ${money(b.frozen)} − ${money(b.posted)} = ${money(amount)}`,
        explanation:
          `Prior-period adjustment for closed ${input.closedPeriod} (${componentText}): recomputed ${money(b.recomputed)}, ` +
          `closed at ${money(b.frozen)}` +
          (b.posted.isZero() ? "" : `, already adjusted ${money(b.posted)}`) +
          (facts.length === 0 ? "" : `; late facts ${facts.map((f) => f.eventId).join(", ")}`),
      },
    });
  }
  return out;
}
