import { canonicalEntry, type LedgerEntry, type RecordedDomainEvent, type Statement } from "@icm/engine";
import { canonicalJson } from "@icm/events";
import { money } from "../payout-run/money.js";

/** An event behind a difference. */
export interface DiffCause {
  readonly eventId: string;
  readonly type: string;
  readonly position: number;
}

export interface EntryChange {
  readonly entryId: string;
  readonly kind: string;
  readonly change: "added" | "removed" | "changed";
  readonly dealId?: string;
  /** Amount before / after (absent for added / removed), at the statement's scale. */
  readonly before?: string;
  readonly after?: string;
  /** after − before. */
  readonly delta: string;
  /** Events recorded between the two positions that explain the difference, in log order. */
  readonly causes: readonly DiffCause[];
}

/** Two versions of one statement side by side: what changed, by how much, and which late events did it. */
export interface StatementDiff {
  readonly repId: string;
  readonly period: string;
  readonly currency: string;
  readonly fromPosition: number;
  readonly toPosition: number;
  readonly payableBefore: string;
  readonly payableAfter: string;
  readonly payableDelta: string;
  /** In the later statement's entry order, removed entries last. */
  readonly changes: readonly EntryChange[];
  /** Every event recorded in (fromPosition, toPosition] that concerns the rep, in log order. */
  readonly events: readonly DiffCause[];
}

/** Whether an event names the rep or one of the deals on either version of the statement. */
function concerns(recorded: RecordedDomainEvent, repId: string, dealIds: ReadonlySet<string>): boolean {
  const data = recorded.event.data as Record<string, unknown>;
  if (data.repId === repId || data.managerId === repId) return true;
  if (typeof data.dealId === "string" && dealIds.has(data.dealId)) return true;
  if (Array.isArray(data.splits) && data.splits.some((s) => (s as { repId?: unknown }).repId === repId))
    return true;
  // Company-wide facts (calendar, plans, FX, closes) can move any statement.
  return ["CalendarConfigured", "PlanVersionPublished", "FxRatePublished", "PeriodClosed"].includes(
    recorded.event.type,
  );
}

const cause = (r: RecordedDomainEvent): DiffCause => ({
  eventId: r.event.eventId,
  type: r.event.type,
  position: r.globalPosition,
});

/**
 * Compares a statement as of two log positions. Entries are matched by their deterministic id; an entry
 * whose canonical form differs is "changed". The causes of a difference are the late events in its trace,
 * plus the events between the positions about its deal (a cancellation removes lines it is not traced on).
 */
export function diffStatements(
  before: Statement,
  after: Statement,
  between: readonly RecordedDomainEvent[],
  positions: { readonly from: number; readonly to: number },
  /** Deals the rep was ever credited on (a cancellation of one can move a prior-period adjustment). */
  repDealIds: Iterable<string> = [],
): StatementDiff {
  const scale = Math.max(before.scale, after.scale);
  const oldById = new Map(before.entries.map((e) => [e.id, e]));
  const newIds = new Set(after.entries.map((e) => e.id));
  const dealIds = new Set<string>(repDealIds);
  for (const e of [...before.entries, ...after.entries]) if (e.dealId !== undefined) dealIds.add(e.dealId);
  const relevant = between.filter((r) => concerns(r, before.repId, dealIds));
  const byId = new Map(between.map((r) => [r.event.eventId, r]));

  const causesOf = (e: LedgerEntry): DiffCause[] => {
    const found = new Map<number, DiffCause>();
    for (const id of e.trace.sourceEventIds) {
      const r = byId.get(id);
      if (r !== undefined) found.set(r.globalPosition, cause(r));
    }
    if (e.dealId !== undefined) {
      for (const r of relevant) {
        if ((r.event.data as { dealId?: unknown }).dealId === e.dealId) found.set(r.globalPosition, cause(r));
      }
    }
    // A prior-period adjustment carries its late facts in the trace; nothing else to add.
    return [...found.values()].sort((a, b) => a.position - b.position);
  };

  const changes: EntryChange[] = [];
  for (const e of after.entries) {
    const old = oldById.get(e.id);
    if (old === undefined) {
      changes.push({
        entryId: e.id,
        kind: e.kind,
        change: "added",
        ...(e.dealId === undefined ? {} : { dealId: e.dealId }),
        after: money(e.amount, scale),
        delta: money(e.amount, scale),
        causes: causesOf(e),
      });
    } else if (canonicalJson(canonicalEntry(old, scale)) !== canonicalJson(canonicalEntry(e, scale))) {
      changes.push({
        entryId: e.id,
        kind: e.kind,
        change: "changed",
        ...(e.dealId === undefined ? {} : { dealId: e.dealId }),
        before: money(old.amount, scale),
        after: money(e.amount, scale),
        delta: money(e.amount.minus(old.amount), scale),
        causes: causesOf(e),
      });
    }
  }
  for (const old of before.entries) {
    if (newIds.has(old.id)) continue;
    changes.push({
      entryId: old.id,
      kind: old.kind,
      change: "removed",
      ...(old.dealId === undefined ? {} : { dealId: old.dealId }),
      before: money(old.amount, scale),
      delta: money(old.amount.negated(), scale),
      causes: causesOf(old),
    });
  }
  return {
    repId: after.repId,
    period: after.period,
    currency: after.currency,
    fromPosition: positions.from,
    toPosition: positions.to,
    payableBefore: money(before.payable, scale),
    payableAfter: money(after.payable, scale),
    payableDelta: money(after.payable.minus(before.payable), scale),
    changes,
    events: relevant.map(cause),
  };
}
