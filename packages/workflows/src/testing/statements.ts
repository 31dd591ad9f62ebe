import {
  assembleStatement,
  ENTRY_KINDS,
  type EntryKind,
  type LedgerEntry,
  type Statement,
} from "@icm/engine";
import { Decimal, minorUnits } from "@icm/events";

/** A statement assembled by the engine's own function from plain lines (pure-function tests). */
export function statementOf(
  repId: string,
  currency: string,
  lines: readonly { kind: EntryKind; minor: number; dealId?: string }[],
  period = "2026-Q1",
): Statement {
  const scale = minorUnits(currency);
  const entries: LedgerEntry[] = lines.map((l, i) => ({
    id: `${repId}/${period}/${l.kind}/${i}`,
    repId,
    kind: l.kind,
    amount: new Decimal(l.minor).div(new Decimal(10).pow(scale)),
    currency,
    period,
    businessDate: "2026-02-01",
    ...(l.dealId === undefined ? {} : { dealId: l.dealId }),
    trace: {
      sourceEventIds: [`evt-${repId}-${i}`],
      positions: [i + 1],
      inputs: {},
      arithmetic: "",
      explanation: "",
    },
  }));
  return assembleStatement({
    repId,
    period,
    currency,
    scale,
    throughPosition: lines.length,
    plans: [],
    openingBalance: { drawDeficit: new Decimal(0), heldBack: new Decimal(0) },
    entries,
    attainment: [],
    exceptions: [],
    drawDeficitClosing: new Decimal(0),
  });
}

export const KINDS: readonly EntryKind[] = ENTRY_KINDS;
