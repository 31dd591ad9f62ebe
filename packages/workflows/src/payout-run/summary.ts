import { type PlanRef, type Statement, statementDigest } from "@icm/engine";
import type { Decimal } from "@icm/events";
import { money, ZERO } from "./money.js";

/** One rep's line of a payout run. */
export interface PayoutRunStatement {
  readonly repId: string;
  readonly currency: string;
  /** What payroll pays, at the statement's scale. */
  readonly payable: string;
  /** SHA-256 of the canonical statement: what the close records. */
  readonly digest: string;
  /** Open exceptions on this rep's statement. */
  readonly exceptions: number;
}

export interface CurrencyTotal {
  readonly currency: string;
  readonly payable: string;
  readonly reps: number;
}

export function summarise(s: Statement): PayoutRunStatement {
  return {
    repId: s.repId,
    currency: s.currency,
    payable: money(s.payable, s.scale),
    digest: statementDigest(s),
    exceptions: s.exceptions.length,
  };
}

/**
 * Payables summed per currency, at the largest scale seen in that currency, one statement at a time: a payout
 * run folds statements as they are computed instead of holding them all (see Engine.eachStatement).
 */
export class CurrencyTotals {
  private readonly byCurrency = new Map<string, { sum: Decimal; scale: number; reps: number }>();

  add(s: Statement): void {
    const t = this.byCurrency.get(s.currency);
    if (t === undefined)
      this.byCurrency.set(s.currency, { sum: ZERO.plus(s.payable), scale: s.scale, reps: 1 });
    else {
      t.sum = t.sum.plus(s.payable);
      t.scale = Math.max(t.scale, s.scale);
      t.reps += 1;
    }
  }

  /** One per currency, sorted by currency code. */
  totals(): CurrencyTotal[] {
    return [...this.byCurrency.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, t]) => ({ currency, payable: money(t.sum, t.scale), reps: t.reps }));
  }
}

/** Sums payables per currency, at the largest scale seen in that currency. */
export function currencyTotals(statements: Iterable<Statement>): CurrencyTotal[] {
  const totals = new CurrencyTotals();
  for (const s of statements) totals.add(s);
  return totals.totals();
}

/** The plan versions behind statements, each once, folded one statement at a time. */
export class PlanVersions {
  private readonly plans = new Map<string, PlanRef>();

  add(s: Statement): void {
    for (const p of s.plans) this.plans.set(`${p.planId}@${p.version}`, p);
  }

  /** Sorted by plan id then version. */
  versions(): { planId: string; version: number }[] {
    return [...this.plans.values()]
      .sort((a, b) => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : a.version - b.version))
      .map((p) => ({ planId: p.planId, version: p.version }));
  }
}

/** The plan versions behind statements, each once, sorted by plan id then version. */
export function planVersionsOf(statements: Iterable<Statement>): { planId: string; version: number }[] {
  const versions = new PlanVersions();
  for (const s of statements) versions.add(s);
  return versions.versions();
}
