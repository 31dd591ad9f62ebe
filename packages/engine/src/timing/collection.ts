import { Decimal, formatDecimal, roundDecimal } from "@icm/events";
import { allocateLargestRemainder } from "../crediting/index.js";
import type { LedgerEntry, Mutable, Trace } from "../ledger/types.js";
import type { CollectedPayment, DealCollection, TimingContext } from "./types.js";

const ONE = new Decimal(1);
const ZERO = new Decimal(0);

/** Payments in business-time order (received date, then payment id): the order cash is applied to a deal. */
export function orderedPayments(payments: readonly CollectedPayment[]): CollectedPayment[] {
  return [...payments].sort((a, b) =>
    a.receivedDate < b.receivedDate
      ? -1
      : a.receivedDate > b.receivedDate
        ? 1
        : a.paymentId < b.paymentId
          ? -1
          : a.paymentId > b.paymentId
            ? 1
            : 0,
  );
}

/** Share of the deal collected by the end of `date`, capped at 100%. A zero-amount deal counts as collected. */
export function collectedFraction(deal: DealCollection, date: string): Decimal {
  if (deal.amount.isZero()) return ONE;
  let received = ZERO;
  for (const p of deal.payments) if (p.receivedDate <= date) received = received.plus(p.amount);
  return Decimal.min(ONE, received.dividedBy(deal.amount));
}

/**
 * Pay on collection (DOMAIN §4): each commission line of a deal is payable in proportion to the cash
 * collected. The part not yet collected on the line's date is withheld by a `holdback` line in the line's
 * period; each later payment releases its proportional share (`holdback_release`, in the payout period of
 * the payment). Cumulative collection is capped at 100%, and the held amount is split over the payments by
 * largest remainder, so once the deal is fully paid the releases sum exactly to what was held.
 * A negative line (a clawback) withholds negatively: what was never collected is not clawed back twice.
 */
export function collectionTimingEntries(
  lines: readonly LedgerEntry[],
  deal: DealCollection,
  ctx: TimingContext,
): LedgerEntry[] {
  const payments = orderedPayments(deal.payments);
  const ordered: DealCollection = { dealId: deal.dealId, amount: deal.amount, payments };
  const out: LedgerEntry[] = [];
  for (const line of lines) {
    if (line.dealId !== deal.dealId) throw new Error(`line ${line.id} is not for deal ${deal.dealId}`);
    const collectedAtLine = collectedFraction(ordered, line.businessDate);
    const uncollected = ONE.minus(collectedAtLine);
    const held = roundDecimal(line.amount.times(uncollected), ctx.scale, ctx.mode);
    if (held.isZero()) continue;
    const money = (v: Decimal) => formatDecimal(v, ctx.scale);
    const later = payments.filter((p) => p.receivedDate > line.businessDate);
    out.push(
      timingLine(
        line,
        {
          id: `${line.id}:holdback`,
          kind: "holdback",
          amount: held.negated(),
          period: line.period,
          businessDate: line.businessDate,
          dealId: deal.dealId,
        },
        timingTrace(
          line,
          line.trace.sourceEventIds,
          line.trace.positions,
          {
            line: money(line.amount),
            dealAmount: deal.amount.toFixed(),
            collectedFraction: collectedAtLine.toFixed(),
          },
          `${money(line.amount)} × (1 − ${collectedAtLine.toDecimalPlaces(6).toFixed()}) = ${money(held)}`,
          `Deal ${deal.dealId}: ${money(held)} of ${line.id} held until the customer pays (pay on collection)`,
        ),
      ),
    );
    if (later.length === 0) continue;
    // Weights: each later payment's increment of the (capped) collected fraction, plus what stays uncollected.
    const weights: Decimal[] = [];
    let cumulative = deal.amount.isZero() ? ONE : collectedAtLine;
    let receivedSoFar = ZERO;
    for (const p of payments)
      if (p.receivedDate <= line.businessDate) receivedSoFar = receivedSoFar.plus(p.amount);
    for (const p of later) {
      receivedSoFar = receivedSoFar.plus(p.amount);
      const next = Decimal.min(ONE, receivedSoFar.dividedBy(deal.amount));
      weights.push(next.minus(cumulative));
      cumulative = next;
    }
    weights.push(ONE.minus(cumulative));
    const releases = allocateSigned(held, weights, ctx.scale);
    later.forEach((p, index) => {
      const release = releases[index] ?? ZERO;
      if (release.isZero()) return;
      out.push(
        timingLine(
          line,
          {
            id: `${line.id}:release:${p.paymentId}`,
            kind: "holdback_release",
            amount: release,
            period: ctx.payoutPeriodOf(p.receivedDate),
            businessDate: p.receivedDate,
            dealId: deal.dealId,
          },
          timingTrace(
            line,
            [...line.trace.sourceEventIds, p.eventId],
            [...line.trace.positions, p.position],
            {
              held: money(held),
              payment: p.amount.toFixed(),
              dealAmount: deal.amount.toFixed(),
              weight: (weights[index] ?? ZERO).toFixed(),
            },
            `${money(held)} × ${(weights[index] ?? ZERO).toDecimalPlaces(6).toFixed()} ≈ ${money(release)} (largest remainder)`,
            `Deal ${deal.dealId}: payment ${p.paymentId} of ${p.amount.toFixed()} releases ${money(release)} held from ${line.id}`,
          ),
        ),
      );
    });
  }
  return out;
}

/** Largest-remainder split of a signed total (the allocator works on magnitudes). */
export function allocateSigned(total: Decimal, weights: readonly Decimal[], scale: number): Decimal[] {
  const weightSum = weights.reduce((a, b) => a.plus(b), ZERO);
  if (weightSum.isZero()) return weights.map(() => ZERO);
  const parts = allocateLargestRemainder(total.abs(), [...weights], scale);
  return total.isNegative() ? parts.map((p) => p.negated()) : parts;
}

/** What a timing line says of itself; the rest comes from the earning line it times (`timingLine`). */
interface TimingLineOwn {
  readonly id: string;
  readonly kind: LedgerEntry["kind"];
  readonly amount: Decimal;
  readonly period: string;
  readonly businessDate: string;
  readonly dealId: string | undefined;
}

/**
 * A pay-on-collection line: the earning line's rep, currency and quota period with the timing line's own
 * fields, in the key order the statement has always shown (id, rep, kind, amount, currency, period, quota
 * period, date, deal, trace). Built a property at a time (see Mutable): every timed line makes one or more.
 */
function timingLine(line: LedgerEntry, own: TimingLineOwn, trace: Trace): LedgerEntry {
  const entry: Mutable<LedgerEntry> = {
    id: own.id,
    repId: line.repId,
    kind: own.kind,
    amount: own.amount,
    currency: line.currency,
    period: own.period,
  } as Mutable<LedgerEntry>;
  if (line.quotaPeriod !== undefined) entry.quotaPeriod = line.quotaPeriod;
  entry.businessDate = own.businessDate;
  if (own.dealId !== undefined) entry.dealId = own.dealId;
  entry.trace = trace;
  return entry;
}

/**
 * A timing line's trace: its sources, the plan and component of the line it times, then its own inputs
 * and text, in that key order.
 */
export function timingTrace(
  line: LedgerEntry,
  sourceEventIds: readonly string[],
  positions: readonly number[],
  inputs: Readonly<Record<string, string>>,
  arithmetic: string,
  explanation: string,
): Trace {
  const trace: Mutable<Trace> = { sourceEventIds, positions } as Mutable<Trace>;
  if (line.trace.planId !== undefined) trace.planId = line.trace.planId;
  if (line.trace.planVersion !== undefined) trace.planVersion = line.trace.planVersion;
  if (line.trace.component !== undefined) trace.component = line.trace.component;
  trace.inputs = inputs;
  trace.arithmetic = arithmetic;
  trace.explanation = explanation;
  return trace;
}
