import { ENTRY_KINDS, type EntryKind, type Statement } from "@icm/engine";
import type { Decimal } from "@icm/events";
import { money, ZERO } from "./money.js";

/** What the payroll file reads of a statement: a period's statements are reduced to this as they are computed. */
export type PayrollStatement = Pick<Statement, "repId" | "currency" | "scale" | "payable" | "totals">;

/** The payroll fields of a statement, without its lines (see Engine.eachStatement). */
export function payrollStatement(s: Statement): PayrollStatement {
  return { repId: s.repId, currency: s.currency, scale: s.scale, payable: s.payable, totals: s.totals };
}

/** A CSV cell: quoted only when it must be (RFC 4180). */
function cell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The payroll file of a period (RFC 4180 CSV, "\n" line ends): one row per rep — rep, currency, payable,
 * then one column per ledger-entry kind that occurs in the period (in the ledger's kind order), so that
 * payable = the sum of the kind columns on every row. Then one TOTAL row per currency (amounts in different
 * currencies are never added together). Every figure is the statement's own, at its scale, so the file
 * matches the statements to the cent.
 */
export function payrollCsv(statements: readonly PayrollStatement[]): string {
  const kinds: EntryKind[] = ENTRY_KINDS.filter((k) => statements.some((s) => !s.totals[k].isZero()));
  const header = ["rep", "currency", "payable", ...kinds];
  const rows: string[][] = [];
  const totals = new Map<string, { scale: number; payable: Decimal; byKind: Decimal[] }>();
  const sorted = [...statements].sort((a, b) => (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0));
  for (const s of sorted) {
    rows.push([
      s.repId,
      s.currency,
      money(s.payable, s.scale),
      ...kinds.map((k) => money(s.totals[k], s.scale)),
    ]);
    const t = totals.get(s.currency) ?? { scale: s.scale, payable: ZERO, byKind: kinds.map(() => ZERO) };
    totals.set(s.currency, {
      scale: Math.max(t.scale, s.scale),
      payable: t.payable.plus(s.payable),
      byKind: t.byKind.map((sum, i) => sum.plus(s.totals[kinds[i] as EntryKind])),
    });
  }
  const currencies = [...totals.keys()].sort();
  for (const currency of currencies) {
    const t = totals.get(currency);
    if (t === undefined) continue;
    rows.push(["TOTAL", currency, money(t.payable, t.scale), ...t.byKind.map((d) => money(d, t.scale))]);
  }
  return [header, ...rows].map((r) => `${r.map(cell).join(",")}\n`).join("");
}
