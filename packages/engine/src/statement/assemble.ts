import { Decimal } from "@icm/events";
import { ENTRY_KINDS, type EntryKind, type LedgerEntry } from "../ledger/types.js";
import type { Statement, StatementBalance } from "./types.js";

const ZERO = new Decimal(0);

/** Totals per kind, every kind present. */
export function totalsByKind(entries: readonly LedgerEntry[]): Record<EntryKind, Decimal> {
  const totals = Object.fromEntries(ENTRY_KINDS.map((k) => [k, ZERO])) as Record<EntryKind, Decimal>;
  for (const e of entries) totals[e.kind] = totals[e.kind].plus(e.amount);
  return totals;
}

export function sumAmounts(entries: readonly LedgerEntry[]): Decimal {
  return entries.reduce((sum, e) => sum.plus(e.amount), ZERO);
}

/**
 * Whether a line moves the held-back balance: holdbacks add to it (they are booked negative), releases take
 * from it, and so do prior-period adjustments that correct a closed period's holdbacks or releases.
 */
export function affectsHeldBack(e: LedgerEntry): boolean {
  if (e.kind === "holdback" || e.kind === "holdback_release") return true;
  if (e.kind !== "prior_period_adjustment") return false;
  const original = e.trace.inputs.originalKind;
  return original === "holdback" || original === "holdback_release";
}

/** Held-back balance after the period's lines: every withheld cent is either still held or released. */
export function heldBackAfter(opening: Decimal, entries: readonly LedgerEntry[]): Decimal {
  return entries.reduce((held, e) => (affectsHeldBack(e) ? held.minus(e.amount) : held), opening);
}

export type StatementParts = Omit<Statement, "totals" | "payable" | "closingBalance"> & {
  /** Deficit after this period's draw settlement (the draw stage computes it). */
  readonly drawDeficitClosing: Decimal;
};

/** Completes a statement from its lines: totals, payable and closing balance follow from the entries. */
export function assembleStatement(parts: StatementParts): Statement {
  const { drawDeficitClosing, ...rest } = parts;
  const closingBalance: StatementBalance = {
    drawDeficit: drawDeficitClosing,
    heldBack: heldBackAfter(parts.openingBalance.heldBack, parts.entries),
  };
  const ids = new Set<string>();
  for (const e of parts.entries) {
    if (ids.has(e.id))
      throw new Error(`statement ${parts.repId} ${parts.period}: duplicate entry id ${e.id}`);
    ids.add(e.id);
    if (e.repId !== parts.repId)
      throw new Error(`statement ${parts.repId} ${parts.period}: entry ${e.id} belongs to ${e.repId}`);
  }
  return { ...rest, totals: totalsByKind(parts.entries), payable: sumAmounts(parts.entries), closingBalance };
}
