import { Decimal } from "@icm/events";
import type { CompiledOverlay, SourceRef } from "../../facts/index.js";
import type { EarningsBuilder } from "../builder.js";
import type { EarningsCapLimiter } from "../cap/earnings-cap.js";
import { reversalDateNote } from "../clawback/clawback.js";
import { num, numOfFixed, ratePct, roundAt } from "../format.js";
import type { PlanStretch } from "../segments.js";
import { type OverlayItem, overlayAmount } from "./overlay.js";

const ZERO = new Decimal(0);

/** One report's deals at one level below the manager in one payout period: one `per_report` overlay line. */
interface ReportGroup {
  readonly period: string;
  readonly reportId: string;
  readonly depth: number;
  readonly items: OverlayItem[];
}

/**
 * `per_report` overlay lines (docs/statement-decisions.md): one line per (payout period, report, level),
 * rate × the sum of the report's deal credits, rounded once on the sum. The trace keeps every deal: its id,
 * date and credit arithmetic in the explanation, the credits in the arithmetic, and every deal's source events.
 * The line is dated on the group's last deal. A deal cancelled inside an original-rate clawback window stays
 * in the line that paid it; a separate clawback line on the cancel date takes back the deal's share of what
 * that line paid (credit / line credit × line amount, so a capped line never claws back more than it paid).
 * `items` come sorted by (date, deal, report), so groups and their deals are in business-time order.
 */
export function rollUpOverlayLines(
  builder: EarningsBuilder,
  stretch: PlanStretch,
  component: CompiledOverlay,
  items: readonly OverlayItem[],
  limiter: EarningsCapLimiter,
): void {
  const plan = stretch.plan;
  const { scale, mode } = plan.rounding;
  const rateLabel = ratePct(component.rate);
  // A plan change inside a payout period splits it between two stretches, each with its own line per
  // report: the later stretches' ids name where they start, so ids stay unique within the quota period.
  const stretchSuffix = stretch.index === 0 ? "" : `:from-${stretch.from}`;
  for (const group of groupsOf(builder, stretch, items)) {
    let credit = ZERO;
    const creditLabels: string[] = [];
    const dealTexts: string[] = [];
    const dealIds: string[] = [];
    const sources: SourceRef[] = [];
    for (const item of group.items) {
      credit = credit.plus(item.dealCredit.credit);
      creditLabels.push(numOfFixed(item.dealCredit.creditText));
      dealTexts.push(`${item.deal.dealId} on ${item.date}: ${item.dealCredit.arithmetic}`);
      dealIds.push(item.deal.dealId);
      for (const source of item.sources) sources.push(source);
    }
    sources.push(stretch.published, stretch.assignmentSource);
    const last = group.items[group.items.length - 1] as OverlayItem;
    const unrounded = overlayAmount(component, credit);
    const rounded = roundAt(unrounded, scale, mode);
    const capped = limiter.apply(rounded, ZERO);
    const count = group.items.length;
    const level = group.depth === 1 ? "direct report" : `${group.depth} levels down`;
    const entry = builder.line({
      kind: "overlay",
      amount: capped.earning,
      plan,
      component: component.id,
      sourceKey: `report:${group.reportId}:${group.depth}:${group.period}${stretchSuffix}`,
      businessDate: last.date,
      sources,
      inputs: {
        reportId: group.reportId,
        depth: String(group.depth),
        deals: String(count),
        dealIds: dealIds.join(","),
        credit: credit.toFixed(),
        rate: component.rate.toFixed(),
        amountUnrounded: unrounded.toFixed(),
      },
      arithmetic: `${count === 1 ? "" : `${creditLabels.join(" + ")} = `}${num(credit)} × ${rateLabel} = ${num(rounded)}${capped.capped ? ` → ${num(capped.earning)} (capped)` : ""}`,
      explanation: `Overlay on ${group.reportId}'s ${count === 1 ? "deal" : `${count} deals`} in ${group.period} (${level} on each deal's date): ${dealTexts.join("; ")}${capped.capped ? `; ${capped.note}` : ""}`,
    });
    for (const item of group.items) {
      const status = item.clawback;
      if (status.kind !== "original_rate" || entry.amount.isZero() || credit.isZero()) continue;
      const share = roundAt(entry.amount.times(item.dealCredit.credit).dividedBy(credit), scale, mode);
      if (share.isZero()) continue;
      const creditLabel = numOfFixed(item.dealCredit.creditText);
      builder.line({
        kind: "clawback",
        amount: share.negated(),
        plan,
        component: component.id,
        sourceKey: `deal:${item.deal.dealId}:${group.reportId}:${group.depth}/overlay`,
        businessDate: status.reversalDate,
        dealId: item.deal.dealId,
        sources: [...item.sources, status.source],
        inputs: {
          reversedEntry: entry.id,
          reversedAmount: share.toFixed(),
          credit: item.dealCredit.creditText,
          lineCredit: credit.toFixed(),
          lineAmount: entry.amount.toFixed(),
          daysAfterClose: String(status.daysAfterClose),
        },
        arithmetic: `−(${num(entry.amount)} × ${creditLabel} / ${num(credit)}) = ${num(share.negated())}`,
        explanation: `Deal ${item.deal.dealId} cancelled on ${status.cancelDate}, ${status.daysAfterClose} days after close (within the ${plan.clawback?.windowDays ?? 0}-day window): takes back its share of the overlay line on ${group.reportId}'s deals at the original rate${reversalDateNote(status)}`,
      });
    }
  }
}

/** Groups in business-time order of their last deal, then report, then level. */
function groupsOf(
  builder: EarningsBuilder,
  stretch: PlanStretch,
  items: readonly OverlayItem[],
): ReportGroup[] {
  const byKey = new Map<string, ReportGroup>();
  for (const item of items) {
    const period = builder.payoutPeriodOf(stretch.plan, item.date);
    const key = `${period}|${item.reportId}|${item.depth}`;
    let group = byKey.get(key);
    if (group === undefined) {
      group = { period, reportId: item.reportId, depth: item.depth, items: [] };
      byKey.set(key, group);
    }
    group.items.push(item);
  }
  const groups = [...byKey.values()];
  const lastDate = (g: ReportGroup) => (g.items[g.items.length - 1] as OverlayItem).date;
  return groups.sort((a, b) => {
    const da = lastDate(a);
    const db = lastDate(b);
    if (da !== db) return da < db ? -1 : 1;
    if (a.reportId !== b.reportId) return a.reportId < b.reportId ? -1 : 1;
    return a.depth - b.depth;
  });
}
