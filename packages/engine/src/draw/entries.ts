import { formatDecimal } from "@icm/events";
import type { LedgerEntry } from "../ledger/types.js";
import type { DrawSettlement, DrawTerms } from "./draw.js";

export interface DrawLineContext {
  readonly repId: string;
  readonly period: string;
  /** Last day of the payout period: the draw is settled when the period's earnings are known. */
  readonly businessDate: string;
  readonly currency: string;
  readonly scale: number;
  readonly planId: string;
  readonly planVersion: number;
  readonly sourceEventIds: readonly string[];
  readonly positions: readonly number[];
}

/** The `draw_advance` / `draw_recovery` lines of one settled period (none when the draw does nothing). */
export function drawEntries(
  earnings: DrawSettlement["advance"],
  terms: DrawTerms,
  settlement: DrawSettlement,
  ctx: DrawLineContext,
): LedgerEntry[] {
  const money = (d: DrawSettlement["advance"]) => formatDecimal(d, ctx.scale);
  const inputs = {
    earnings: money(earnings),
    draw: money(terms.amount),
    recoverable: String(terms.recoverable),
    deficitOpening: money(settlement.deficitOpening),
    deficitClosing: money(settlement.deficitClosing),
    ...(terms.recoveryCapPerPeriod === undefined
      ? {}
      : { recoveryCapPerPeriod: money(terms.recoveryCapPerPeriod) }),
  };
  const base = {
    repId: ctx.repId,
    currency: ctx.currency,
    period: ctx.period,
    businessDate: ctx.businessDate,
  };
  const trace = {
    sourceEventIds: ctx.sourceEventIds,
    positions: ctx.positions,
    planId: ctx.planId,
    planVersion: ctx.planVersion,
    component: terms.componentId,
  };
  const out: LedgerEntry[] = [];
  if (settlement.advance.greaterThan(0)) {
    const kindText = terms.recoverable ? "recoverable" : "non-recoverable";
    out.push({
      ...base,
      id: `${ctx.repId}:${ctx.period}:${terms.componentId}:draw_advance`,
      kind: "draw_advance",
      amount: settlement.advance,
      trace: {
        ...trace,
        inputs,
        arithmetic: `${money(terms.amount)} − ${money(earnings)} = ${money(settlement.advance)}`,
        explanation:
          `Draw ${money(terms.amount)} (${kindText}) exceeds earnings ${money(earnings)}: advance ${money(settlement.advance)}` +
          (terms.recoverable ? `; deficit carried ${money(settlement.deficitClosing)}` : ""),
      },
    });
  }
  if (settlement.recovery.greaterThan(0)) {
    const available = earnings.minus(terms.amount);
    out.push({
      ...base,
      id: `${ctx.repId}:${ctx.period}:${terms.componentId}:draw_recovery`,
      kind: "draw_recovery",
      amount: settlement.recovery.negated(),
      trace: {
        ...trace,
        inputs,
        arithmetic:
          `min(${money(earnings)} − ${money(terms.amount)} = ${money(available)}, deficit ${money(settlement.deficitOpening)}` +
          (terms.recoveryCapPerPeriod === undefined ? "" : `, cap ${money(terms.recoveryCapPerPeriod)}`) +
          `) = ${money(settlement.recovery)}`,
        explanation: `Recovered ${money(settlement.recovery)} of the draw deficit from earnings above the draw; deficit now ${money(settlement.deficitClosing)}`,
      },
    });
  }
  return out;
}
