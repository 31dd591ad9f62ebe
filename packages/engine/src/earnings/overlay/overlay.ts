import type { Decimal } from "@icm/events";
import { toBusinessDate } from "../../calendar/index.js";
import type { CompiledOverlay, DealState, Facts, SourceRef } from "../../facts/index.js";
import type { EarningsBuilder } from "../builder.js";
import { type ClawbackStatus, clawbackStatus } from "../clawback/clawback.js";
import { creditDeal, type DealCredit } from "../credit/credit.js";
import type { PlanStretch } from "../segments.js";

/** A report's deal that rolls up to the manager through the chain effective on the deal's date. */
export interface OverlayItem {
  readonly date: string;
  readonly deal: DealState;
  readonly reportId: string;
  /** 1 = direct report, 2 = report of a report, ... */
  readonly depth: number;
  /** The report's part of the deal, converted to the manager's plan currency and measure. */
  readonly dealCredit: DealCredit;
  readonly clawback: ClawbackStatus;
  readonly sources: readonly SourceRef[];
}

/**
 * The report deals an overlay component of the manager's plan stretch pays on. Candidates are everyone who
 * ever reported to the manager (bounded by maxDepth); each deal then checks the chain as it was on its own
 * date. The credit is the report's split part of the deal measured and converted under the MANAGER's plan
 * (currency, measure, rounding). A report not onboarded earns the manager nothing (it is an unknown_rep
 * exception at period level). A deal the manager also sells on pays overlay on the report's part only.
 */
export function overlayItems(
  facts: Facts,
  builder: EarningsBuilder,
  stretch: PlanStretch,
  overlay: CompiledOverlay,
  through: number,
): OverlayItem[] {
  const items: OverlayItem[] = [];
  for (const reportId of overlayReportsOf(facts, builder.repId, overlay, through)) {
    for (const item of reportOverlayItems(facts, builder, stretch, overlay, through, reportId))
      items.push(item);
  }
  items.sort((a, b) =>
    a.date !== b.date
      ? a.date < b.date
        ? -1
        : 1
      : a.deal.dealId !== b.deal.dealId
        ? a.deal.dealId < b.deal.dealId
          ? -1
          : 1
        : a.reportId < b.reportId
          ? -1
          : a.reportId > b.reportId
            ? 1
            : 0,
  );
  return items;
}

/** Everyone who ever reported to the manager (bounded by the overlay's depth) and is onboarded, sorted. */
export function overlayReportsOf(
  facts: Facts,
  managerId: string,
  overlay: CompiledOverlay,
  through: number,
): string[] {
  return facts
    .everReportsOf(managerId, overlay.maxDepth)
    .filter((id) => facts.rep(id, through) !== undefined);
}

/**
 * One report's deals that roll up to the manager (see overlayItems), in deal id order. Records the manager's
 * missing-FX exceptions as it meets them.
 */
export function reportOverlayItems(
  facts: Facts,
  builder: EarningsBuilder,
  stretch: PlanStretch,
  overlay: CompiledOverlay,
  through: number,
  reportId: string,
): OverlayItem[] {
  // A per-report line names each deal's credit arithmetic, not its inputs: skip building them (every
  // report's deal is credited again for each manager above it, so this is hot).
  const withInputs = overlay.lines !== "per_report";
  const managerId = builder.repId;
  const items: OverlayItem[] = [];
  const maxDepth = overlay.maxDepth;
  for (const deal of facts.candidateDeals(reportId, stretch.from, stretch.to, through)) {
    if (!deal.splits.some((s) => s.repId === reportId)) continue;
    const date = toBusinessDate(builder.calendar, deal.closeDate);
    if (date < stretch.from || date > stretch.to) continue;
    const chain = facts.hierarchy.chainOn(reportId, date, maxDepth, through);
    const index = chain.indexOf(managerId);
    if (index < 0) continue;
    const result = creditDeal(deal, reportId, stretch.plan, date, facts.fx, through, withInputs);
    if (!result.ok) {
      // Bad splits are the report's exception; a missing FX rate into the manager's currency is the manager's.
      if (result.code === "missing_fx_rate") {
        builder.exception(result.code, `Overlay on ${reportId}'s ${result.message}`, result.sources, {
          period: builder.payoutPeriodOf(stretch.plan, date),
          dealId: deal.dealId,
        });
      }
      continue;
    }
    const clawback = clawbackStatus(builder.calendar, stretch.plan, deal, date);
    if (clawback.kind === "recompute") continue;
    const quote = result.value.quote;
    // The hierarchy facts of every link from the report up to the manager, as in force on the deal date.
    const links = [reportId, ...chain.slice(0, index)].map((rep) =>
      facts.managerSourceOn(rep, date, through),
    );
    items.push({
      date,
      deal,
      reportId,
      depth: index + 1,
      dealCredit: result.value,
      clawback,
      sources: [
        ...deal.sources,
        ...(quote === undefined ? [] : [{ eventId: quote.eventId, position: quote.position }]),
        ...links.filter((link): link is SourceRef => link !== undefined),
      ],
    });
  }
  return items;
}

export function overlayAmount(overlay: CompiledOverlay, credit: Decimal): Decimal {
  return credit.times(overlay.rate);
}
