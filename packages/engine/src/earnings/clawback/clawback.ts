import { type CompanyCalendar, daysInclusive, toBusinessDate } from "../../calendar/index.js";
import type { CompiledPlan, DealState, SourceRef } from "../../facts/index.js";
import type { LedgerEntry } from "../../ledger/types.js";
import type { LineSpec } from "../builder.js";
import { num } from "../format.js";

export type ClawbackStatus =
  | { readonly kind: "active" }
  /** Cancelled, but after the window (or the plan has no clawback policy): the deal keeps paying. */
  | {
      readonly kind: "kept";
      readonly cancelDate: string;
      readonly daysAfterClose: number;
      readonly source: SourceRef;
    }
  /** Cancelled inside the window, recompute: the deal is left out of its quota period. */
  | {
      readonly kind: "recompute";
      readonly cancelDate: string;
      readonly daysAfterClose: number;
      readonly source: SourceRef;
    }
  /**
   * Cancelled inside the window, original rate: the deal's own lines are reversed on `reversalDate`, the
   * cancel date, or the deal's own date when the cancellation is dated before it: a reversal never comes
   * before what it reverses (docs/earnings-decisions.md).
   */
  | {
      readonly kind: "original_rate";
      readonly cancelDate: string;
      readonly reversalDate: string;
      readonly daysAfterClose: number;
      readonly source: SourceRef;
    };

/** Trace text for a reversal moved from an early cancel date to the deal's date (empty otherwise). */
export function reversalDateNote(status: {
  readonly cancelDate: string;
  readonly reversalDate: string;
}): string {
  return status.reversalDate === status.cancelDate
    ? ""
    : `; the cancellation is dated before the deal, so the reversal is dated ${status.reversalDate}`;
}

/**
 * How a cancellation affects a deal under a plan. Days after close = calendar days from the deal's
 * business date to the cancel's business date; within the window when ≤ windowDays. A cancellation dated
 * before the close date counts as day 0 (inside any window).
 */
export function clawbackStatus(
  calendar: CompanyCalendar,
  plan: CompiledPlan,
  deal: DealState,
  businessDate: string,
): ClawbackStatus {
  const cancellation = deal.cancellation;
  if (cancellation === undefined) return { kind: "active" };
  const cancelDate = toBusinessDate(calendar, cancellation.cancelDate);
  const daysAfterClose = Math.max(0, daysInclusive(businessDate, cancelDate) - 1);
  const source = { eventId: cancellation.eventId, position: cancellation.position };
  const policy = plan.clawback;
  if (policy === undefined || daysAfterClose > policy.windowDays)
    return { kind: "kept", cancelDate, daysAfterClose, source };
  if (policy.method === "recompute") return { kind: "recompute", cancelDate, daysAfterClose, source };
  const reversalDate = cancelDate < businessDate ? businessDate : cancelDate;
  return { kind: "original_rate", cancelDate, reversalDate, daysAfterClose, source };
}

/**
 * Original-rate clawback: each of the deal's own lines (earning, true-up, SPIFF, bonus, overlay) is reversed
 * by a `clawback` line of exactly the negated amount, dated on the cancel date. Zero lines need no reversal.
 */
export function reversalSpecs(
  lines: readonly { readonly entry: LedgerEntry; readonly sourceKey: string }[],
  status: ClawbackStatus & { kind: "original_rate" },
  plan: CompiledPlan,
): LineSpec[] {
  const specs: LineSpec[] = [];
  for (const { entry: line, sourceKey } of lines) {
    if (line.amount.isZero()) continue;
    const reversed = line.amount.negated();
    specs.push({
      kind: "clawback",
      amount: reversed,
      plan,
      ...(line.trace.component === undefined ? {} : { component: line.trace.component }),
      sourceKey: `${sourceKey}/${line.kind}`,
      businessDate: status.reversalDate,
      ...(line.dealId === undefined ? {} : { dealId: line.dealId }),
      ...(line.trace.band === undefined ? {} : { band: line.trace.band }),
      sources: [
        ...line.trace.sourceEventIds.map((eventId, i) => ({
          eventId,
          position: line.trace.positions[i] as number,
        })),
        status.source,
      ],
      inputs: {
        reversedEntry: line.id,
        reversedAmount: line.amount.toFixed(),
        daysAfterClose: String(status.daysAfterClose),
      },
      arithmetic: `−(${num(line.amount)})`,
      explanation: `Deal ${line.dealId ?? "?"} cancelled on ${status.cancelDate}, ${status.daysAfterClose} days after close (within the ${plan.clawback?.windowDays ?? 0}-day window): reverses its ${line.kind.replace("_", "-")} line at the original rate${reversalDateNote(status)}`,
    });
  }
  return specs;
}
