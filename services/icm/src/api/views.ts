import {
  canonicalEntry,
  canonicalStatement,
  type Statement,
  statementDigest,
  type WhatIfResult,
} from "@icm/engine";
import { formatDecimal, type JsonObject, minorUnits, roundDecimal } from "@icm/events";

// JSON views of engine results. Money leaves the API as decimal strings at the statement's scale, never as
// JSON numbers. The statement view is the canonical form an auditor digests, plus what the canonical form
// leaves out on purpose (log positions, the close, the digest itself).

export function statementView(s: Statement): JsonObject {
  // The canonical entries are canonicalEntry(e, s.scale) of s.entries in order: reuse them rather than
  // building every entry a second time (a manager's statement has one line per deal of the organisation).
  const canonical = canonicalStatement(s);
  const canonicalEntries = canonical.entries as JsonObject[];
  const entries = s.entries.map((e, i) => {
    const entry = canonicalEntries[i] ?? canonicalEntry(e, s.scale);
    // The canonical trace sorts the ids as a set; `sources` pairs each id with its log position.
    const sources = e.trace.sourceEventIds
      .map((eventId, i) => ({ eventId, position: e.trace.positions[i] ?? null }))
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || (a.eventId < b.eventId ? -1 : 1));
    return { ...entry, trace: { ...(entry.trace as JsonObject), sources } };
  });
  return {
    ...canonical,
    entries,
    throughPosition: s.throughPosition,
    digest: statementDigest(s),
    ...(s.closed === undefined ? {} : { closed: { eventId: s.closed.eventId, position: s.closed.position } }),
  };
}

/** What-if lines at the rep's statement scale (the plan's rounding), or the currency's minor unit. */
export function whatIfView(repId: string, result: WhatIfResult, scale: number | undefined): JsonObject {
  const currency = result.entries[0]?.currency;
  const places = scale ?? (currency === undefined ? 2 : minorUnits(currency));
  return {
    repId,
    ...(currency === undefined ? {} : { currency }),
    payableDelta: formatDecimal(roundDecimal(result.payableDelta, places, "HALF_EVEN"), places),
    periods: [...result.periods],
    entries: result.entries.map((e) => canonicalEntry(e, places)),
  };
}
