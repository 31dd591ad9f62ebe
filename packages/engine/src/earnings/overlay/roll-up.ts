import { Decimal } from "@icm/events";
import type { CompiledOverlay, Facts, SourceRef } from "../../facts/index.js";
import { type EarningsBuilder, SortedSources } from "../builder.js";
import type { EarningsCapLimiter } from "../cap/earnings-cap.js";
import { reversalDateNote } from "../clawback/clawback.js";
import { num, numOfFixed, ratePct, roundAt } from "../format.js";
import type { PlanStretch } from "../segments.js";
import { type OverlayItem, overlayAmount, overlayReportsOf, reportOverlayItems } from "./overlay.js";

const ZERO = new Decimal(0);

/**
 * One report's deals at one level below the manager in one payout period: one `per_report` overlay line.
 * Summed and described when the report's deals have all been found, so that a manager's statement holds
 * what its lines will show (texts, source ids), not every deal's intermediate credit objects: a VP's
 * organisation is every deal of the period, and those objects outlived V8's young generation (round 14).
 */
interface ReportGroup {
  readonly period: string;
  readonly reportId: string;
  readonly depth: number;
  /** The group's last deal's business date: the line's date. */
  readonly lastDate: string;
  readonly count: number;
  readonly credit: Decimal;
  /** Each deal's credit as the arithmetic shows it, joined by " + ". */
  readonly creditLabels: string;
  /** "D-1 on 2026-01-05: 10,000; D-7 on ...". */
  readonly dealTexts: string;
  readonly dealIds: string;
  readonly sources: SortedSources;
  /** The deals cancelled inside an original-rate clawback window: each takes back its share of the line. */
  readonly reversals: readonly OverlayItem[];
}

/**
 * `per_report` overlay lines (docs/statement-decisions.md): one line per (payout period, report, level),
 * rate × the sum of the report's deal credits, rounded once on the sum. The trace keeps every deal: its id,
 * date and credit arithmetic in the explanation, the credits in the arithmetic, and every deal's source events.
 * The line is dated on the group's last deal. A deal cancelled inside an original-rate clawback window stays
 * in the line that paid it; a separate clawback line on the cancel date takes back the deal's share of what
 * that line paid (credit / line credit × line amount, so a capped line never claws back more than it paid).
 * A group's deals are in business-time order (date, deal id); lines are made (and capped) in the order of
 * their last deal's date, then report, then level.
 */
export function rollUpOverlayLines(
  facts: Facts,
  builder: EarningsBuilder,
  stretch: PlanStretch,
  component: CompiledOverlay,
  through: number,
  limiter: EarningsCapLimiter,
): void {
  const plan = stretch.plan;
  const { scale, mode } = plan.rounding;
  const rateLabel = ratePct(component.rate);
  // A plan change inside a payout period splits it between two stretches, each with its own line per
  // report: the later stretches' ids name where they start, so ids stay unique within the quota period.
  const stretchSuffix = stretch.index === 0 ? "" : `:from-${stretch.from}`;
  const groups: ReportGroup[] = [];
  for (const reportId of overlayReportsOf(facts, builder.repId, component, through)) {
    const items = reportOverlayItems(facts, builder, stretch, component, through, reportId);
    for (const group of reportGroupsOf(builder, stretch, items)) groups.push(group);
  }
  groups.sort((a, b) => {
    if (a.lastDate !== b.lastDate) return a.lastDate < b.lastDate ? -1 : 1;
    if (a.reportId !== b.reportId) return a.reportId < b.reportId ? -1 : 1;
    return a.depth - b.depth;
  });
  for (const group of groups) {
    const { credit, count } = group;
    const unrounded = overlayAmount(component, credit);
    const rounded = roundAt(unrounded, scale, mode);
    const capped = limiter.apply(rounded, ZERO);
    const level = group.depth === 1 ? "direct report" : `${group.depth} levels down`;
    const entry = builder.line({
      kind: "overlay",
      amount: capped.earning,
      plan,
      component: component.id,
      sourceKey: `report:${group.reportId}:${group.depth}:${group.period}${stretchSuffix}`,
      businessDate: group.lastDate,
      sources: group.sources,
      inputs: {
        reportId: group.reportId,
        depth: String(group.depth),
        deals: String(count),
        dealIds: group.dealIds,
        credit: credit.toFixed(),
        rate: component.rate.toFixed(),
        amountUnrounded: unrounded.toFixed(),
      },
      arithmetic: `${count === 1 ? "" : `${group.creditLabels} = `}${num(credit)} × ${rateLabel} = ${num(rounded)}${capped.capped ? ` → ${num(capped.earning)} (capped)` : ""}`,
      explanation: `Overlay on ${group.reportId}'s ${count === 1 ? "deal" : `${count} deals`} in ${group.period} (${level} on each deal's date): ${group.dealTexts}${capped.capped ? `; ${capped.note}` : ""}`,
    });
    for (const item of group.reversals) {
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

/** One report's items (in deal id order) grouped by (payout period, level), each group summed and described. */
function reportGroupsOf(
  builder: EarningsBuilder,
  stretch: PlanStretch,
  items: readonly OverlayItem[],
): ReportGroup[] {
  const byKey = new Map<string, { period: string; depth: number; items: OverlayItem[] }>();
  for (const item of items) {
    const period = builder.payoutPeriodOf(stretch.plan, item.date);
    const key = `${period}|${item.depth}`;
    let group = byKey.get(key);
    if (group === undefined) {
      group = { period, depth: item.depth, items: [] };
      byKey.set(key, group);
    }
    group.items.push(item);
  }
  const groups: ReportGroup[] = [];
  for (const { period, depth, items: found } of byKey.values()) {
    // One report, so (date, deal id) is the business-time order (deal ids are unique within a report).
    found.sort((a, b) =>
      a.date !== b.date ? (a.date < b.date ? -1 : 1) : a.deal.dealId < b.deal.dealId ? -1 : 1,
    );
    let credit = ZERO;
    const creditLabels: string[] = [];
    const dealTexts: string[] = [];
    const dealIds: string[] = [];
    const sources: SourceRef[] = [];
    const reversals: OverlayItem[] = [];
    for (const item of found) {
      credit = credit.plus(item.dealCredit.credit);
      creditLabels.push(numOfFixed(item.dealCredit.creditText));
      dealTexts.push(`${item.deal.dealId} on ${item.date}: ${item.dealCredit.arithmetic}`);
      dealIds.push(item.deal.dealId);
      for (const source of item.sources) sources.push(source);
      if (item.clawback.kind === "original_rate") reversals.push(item);
    }
    sources.push(stretch.published, stretch.assignmentSource);
    const last = found[found.length - 1] as OverlayItem;
    groups.push({
      period,
      reportId: last.reportId,
      depth,
      lastDate: last.date,
      count: found.length,
      credit,
      creditLabels: creditLabels.join(" + "),
      dealTexts: dealTexts.join("; "),
      dealIds: dealIds.join(","),
      sources: new SortedSources(sources),
      reversals,
    });
  }
  return groups;
}
