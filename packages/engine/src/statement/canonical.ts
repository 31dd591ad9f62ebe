import {
  canonicalDigest,
  type Decimal,
  formatDecimal,
  type JsonObject,
  type JsonValue,
  roundDecimal,
} from "@icm/events";
import { type CalculationException, ENTRY_KINDS, type LedgerEntry } from "../ledger/types.js";
import type { Statement } from "./types.js";

/** Attainment ratios are digested to this many places (money uses the plan scale). */
export const RATIO_SCALE = 6;

/**
 * The canonical form of a statement: the exact bytes a close digests and an auditor re-derives.
 *
 * - money as fixed strings at the statement's scale; attainment ratios at RATIO_SCALE (HALF_EVEN);
 * - entries keep the statement's business-time order; plans, attainment, exceptions and each trace's source
 *   event ids are sorted (they are sets);
 * - LOG POSITIONS ARE LEFT OUT (throughPosition, trace and exception positions, the close's position): a
 *   statement is a function of the facts, not of the order unrelated streams happened to interleave in the
 *   log, so the same facts recorded in another interleaving give the same digest. The close event records its
 *   throughPosition and chain head separately, which is what pins a digest to one log;
 * - `closed` is left out too: the close records the digest of the statement it froze, and the frozen
 *   statement read back later must hash to exactly that.
 */
export function canonicalStatement(s: Statement): JsonObject {
  const money = (d: Decimal) => formatDecimal(roundDecimal(d, s.scale, "HALF_EVEN"), s.scale);
  const balance = (b: Statement["openingBalance"]) => ({
    drawDeficit: money(b.drawDeficit),
    heldBack: money(b.heldBack),
  });
  const totals: JsonObject = {};
  for (const kind of ENTRY_KINDS) totals[kind] = money(s.totals[kind]);
  const out: JsonObject = {
    repId: s.repId,
    period: s.period,
    currency: s.currency,
    scale: s.scale,
    plans: [...s.plans]
      .sort((a, b) => compare(a.planId, b.planId) || a.version - b.version)
      .map((p) => ({ planId: p.planId, version: p.version })),
    openingBalance: balance(s.openingBalance),
    entries: s.entries.map((e) => canonicalEntry(e, s.scale)),
    totals,
    payable: money(s.payable),
    closingBalance: balance(s.closingBalance),
    attainment: [...s.attainment]
      .sort((a, b) => compare(a.quotaPeriod, b.quotaPeriod))
      .map((a) => {
        const line: JsonObject = { quotaPeriod: a.quotaPeriod, credit: money(a.credit) };
        if (a.quota !== undefined) line.quota = money(a.quota);
        if (a.ratio !== undefined)
          line.ratio = formatDecimal(roundDecimal(a.ratio, RATIO_SCALE, "HALF_EVEN"), RATIO_SCALE);
        return line;
      }),
    exceptions: s.exceptions
      .map(canonicalException)
      .sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b))),
  };
  return out;
}

export function canonicalEntry(e: LedgerEntry, scale: number): JsonObject {
  const trace: JsonObject = {
    sourceEventIds: [...new Set(e.trace.sourceEventIds)].sort(compare),
    inputs: sortedRecord(e.trace.inputs),
    arithmetic: e.trace.arithmetic,
    explanation: e.trace.explanation,
  };
  if (e.trace.planId !== undefined) trace.planId = e.trace.planId;
  if (e.trace.planVersion !== undefined) trace.planVersion = e.trace.planVersion;
  if (e.trace.component !== undefined) trace.component = e.trace.component;
  if (e.trace.band !== undefined) trace.band = e.trace.band;
  const out: JsonObject = {
    id: e.id,
    kind: e.kind,
    amount: formatDecimal(roundDecimal(e.amount, scale, "HALF_EVEN"), scale),
    currency: e.currency,
    period: e.period,
    businessDate: e.businessDate,
    trace,
  };
  if (e.quotaPeriod !== undefined) out.quotaPeriod = e.quotaPeriod;
  if (e.dealId !== undefined) out.dealId = e.dealId;
  return out;
}

function canonicalException(x: CalculationException): JsonObject {
  const out: JsonObject = {
    code: x.code,
    message: x.message,
    sourceEventIds: [...new Set(x.sourceEventIds)].sort(compare),
  };
  if (x.repId !== undefined) out.repId = x.repId;
  if (x.period !== undefined) out.period = x.period;
  if (x.dealId !== undefined) out.dealId = x.dealId;
  return out;
}

function sortedRecord(record: Readonly<Record<string, string>>): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(record).sort(compare)) {
    const value = record[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SHA-256 (hex) of the canonical JSON of a statement: what PeriodClosed records per rep. */
export function statementDigest(s: Statement): string {
  return canonicalDigest(canonicalStatement(s));
}
