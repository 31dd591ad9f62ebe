import { formatDecimal } from "@icm/events";
import type { Statement } from "./types.js";

/** Everything a rep or auditor needs to read one line of a statement. */
export interface EntryExplanation {
  readonly entryId: string;
  readonly kind: string;
  readonly amount: string;
  readonly currency: string;
  readonly period: string;
  readonly businessDate: string;
  readonly dealId?: string;
  readonly plan?: string;
  readonly component?: string;
  readonly band?: string;
  readonly arithmetic: string;
  readonly explanation: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly sourceEventIds: readonly string[];
  readonly positions: readonly number[];
  /** The explanation as readable text, one fact per line. */
  readonly text: string;
}

/** Explains one entry of a statement; undefined when the statement has no entry with that id. */
export function explainEntry(statement: Statement, entryId: string): EntryExplanation | undefined {
  const e = statement.entries.find((x) => x.id === entryId);
  if (e === undefined) return undefined;
  const amount = formatDecimal(e.amount, statement.scale);
  const plan = e.trace.planId === undefined ? undefined : `${e.trace.planId} v${e.trace.planVersion ?? "?"}`;
  const lines = [
    `${e.kind} ${amount} ${e.currency} in ${e.period} (${e.businessDate})`,
    e.trace.explanation,
    `Arithmetic: ${e.trace.arithmetic}`,
    ...(plan === undefined
      ? []
      : [
          `Plan ${plan}${e.trace.component === undefined ? "" : `, component ${e.trace.component}`}${e.trace.band === undefined ? "" : `, band ${e.trace.band}`}`,
        ]),
    `Source events: ${e.trace.sourceEventIds.map((id, i) => `${id}@${e.trace.positions[i] ?? "?"}`).join(", ")}`,
  ];
  return {
    entryId: e.id,
    kind: e.kind,
    amount,
    currency: e.currency,
    period: e.period,
    businessDate: e.businessDate,
    ...(e.dealId === undefined ? {} : { dealId: e.dealId }),
    ...(plan === undefined ? {} : { plan }),
    ...(e.trace.component === undefined ? {} : { component: e.trace.component }),
    ...(e.trace.band === undefined ? {} : { band: e.trace.band }),
    arithmetic: e.trace.arithmetic,
    explanation: e.trace.explanation,
    inputs: e.trace.inputs,
    sourceEventIds: e.trace.sourceEventIds,
    positions: e.trace.positions,
    text: lines.join("\n"),
  };
}
