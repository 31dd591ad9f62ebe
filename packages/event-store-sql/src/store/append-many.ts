import {
  type AppendedPosition,
  type AppendManyOutcome,
  type EventStoreError,
  type ExpectedRevision,
  ExpectedVersionConflictError,
  type IdempotencyConflictDetail,
  IdempotencyConflictError,
  PartialDuplicateAppendError,
  revisionMatches,
} from "@icm/event-store";
import { GENESIS_HASH } from "@icm/events";
import type { SqlQueryable } from "../executor/types.js";
import type { StoreTables } from "../schema/identifiers.js";
import { insertRows, linkChain, type PendingRow } from "./insert.js";
import { type PreparedEvent, toSafeInteger } from "./validate.js";

/** One item of appendMany after the structural checks: ready to decide, or already refused. */
export type PreparedItem =
  | {
      readonly ok: true;
      readonly streamId: string;
      readonly batch: readonly PreparedEvent[];
      readonly expectedRevision: ExpectedRevision;
    }
  | { readonly ok: false; readonly error: EventStoreError };

/** An event id already taken: by a committed row, or by a row of an earlier item of this call. */
interface KnownEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly contentHash: string;
  /** Committed rows know their position; pending rows get theirs at allocation. */
  readonly committedPosition?: number;
  readonly pending?: PendingRow;
}

/** What an item was decided to be, before positions exist. */
type Decision =
  | { readonly kind: "refused"; readonly error: EventStoreError }
  | { readonly kind: "replay"; readonly known: readonly KnownEvent[]; readonly revision: number }
  | { readonly kind: "written"; readonly rows: readonly PendingRow[]; readonly revision: number };

interface StateRow {
  revisions: unknown;
  head_hash: string | null;
  existing: unknown;
  [key: string]: unknown;
}

/**
 * Many items in the caller's transaction, which must have started with appendLockStatement (the append
 * lock, taken in BEGIN's round trip), with append()'s checks applied item by item in memory:
 * 1. read, in one statement taken after the lock was granted, the revision of every involved stream, the chain head and every committed row
 *    carrying one of the offered ids;
 * 2. decide each item in order exactly as appendInTransaction would (idempotency, then expected revision),
 *    against the committed state plus the items accepted before it in this call;
 * 3. link the chain in item order and insert the accepted events with one multi-row INSERT per
 *    INSERT_CHUNK_ROWS, which also takes their global positions from the sequence (see insertRows).
 * A refused item writes nothing; the others are unaffected. Any thrown error rolls back the whole call.
 */
export async function appendManyInTransaction(
  tx: SqlQueryable,
  tables: StoreTables,
  items: readonly PreparedItem[],
  recordedAt: string,
  notifyCommit: boolean,
): Promise<{ outcomes: AppendManyOutcome[]; written: number }> {
  const accepted = items.filter((item) => item.ok);
  if (accepted.length === 0) {
    return { outcomes: items.map((item) => (item.ok ? unreachable() : item)), written: 0 };
  }
  const streamIds = [...new Set(accepted.map((item) => item.streamId))].sort();
  const eventIds = [...new Set(accepted.flatMap((item) => item.batch.map((p) => p.event.eventId)))].sort();
  const stateRows = await tx.query<StateRow>(
    `SELECT
       (SELECT coalesce(json_agg(json_build_object('stream_id', s.id, 'revision',
                 (SELECT coalesce(max(stream_position), 0) FROM ${tables.events} WHERE stream_id = s.id))),
               '[]'::json)
          FROM unnest($2::text[]) AS s(id)) AS revisions,
       (SELECT hash FROM ${tables.events} ORDER BY global_position DESC LIMIT 1) AS head_hash,
       (SELECT coalesce(json_agg(json_build_object(
                 'event_id', event_id, 'stream_id', stream_id, 'stream_position', stream_position,
                 'global_position', global_position, 'content_hash', content_hash)), '[]'::json)
          FROM ${tables.events} WHERE event_id = ANY($1::text[])) AS existing`,
    [eventIds, streamIds],
  );
  const state = stateRows[0];
  if (state === undefined) throw new Error("appendMany state query returned no row");

  const revisions = new Map<string, number>();
  for (const row of parseJsonArray(state.revisions, "revisions")) {
    revisions.set(String(row.stream_id), toSafeInteger(row.revision, "stream revision"));
  }
  const known = new Map<string, KnownEvent>();
  for (const row of parseJsonArray(state.existing, "existing events")) {
    known.set(String(row.event_id), {
      eventId: String(row.event_id),
      streamId: String(row.stream_id),
      streamPosition: toSafeInteger(row.stream_position, "stream position"),
      contentHash: String(row.content_hash),
      committedPosition: toSafeInteger(row.global_position, "global position"),
    });
  }

  const pending: PendingRow[] = [];
  const decisions: Decision[] = items.map((item): Decision => {
    if (!item.ok) return { kind: "refused", error: item.error };
    const current = revisions.get(item.streamId) ?? 0;
    const decided = decideItem(item.streamId, item.batch, item.expectedRevision, current, known);
    if (decided.kind !== "accept") return decided;
    const rows = item.batch.map(
      (prepared, index): PendingRow => ({
        streamId: item.streamId,
        prepared,
        streamPosition: current + index + 1,
        globalPosition: 0,
        prevHash: "",
        hash: "",
      }),
    );
    for (const row of rows) {
      known.set(row.prepared.event.eventId, {
        eventId: row.prepared.event.eventId,
        streamId: row.streamId,
        streamPosition: row.streamPosition,
        contentHash: row.prepared.contentHash,
        pending: row,
      });
    }
    pending.push(...rows);
    revisions.set(item.streamId, current + rows.length);
    return { kind: "written", rows, revision: current + rows.length };
  });

  if (pending.length > 0) {
    linkChain(pending, state.head_hash ?? GENESIS_HASH);
    await insertRows(tx, tables, pending, recordedAt, notifyCommit);
  }
  return { outcomes: decisions.map(toOutcome), written: pending.length };
}

function unreachable(): never {
  throw new Error("unreachable: an accepted item was counted as refused");
}

/** appendInTransaction's checks for one item, against the state so far. Never throws a typed error. */
function decideItem(
  streamId: string,
  batch: readonly PreparedEvent[],
  expectedRevision: ExpectedRevision,
  current: number,
  known: ReadonlyMap<string, KnownEvent>,
): Exclude<Decision, { kind: "written" }> | { kind: "accept" } {
  const conflicts: IdempotencyConflictDetail[] = [];
  const alreadyRecorded: string[] = [];
  const notRecorded: string[] = [];
  const recorded: KnownEvent[] = [];
  for (const prepared of batch) {
    const id = prepared.event.eventId;
    const existing = known.get(id);
    if (existing === undefined) {
      notRecorded.push(id);
      continue;
    }
    alreadyRecorded.push(id);
    recorded.push(existing);
    if (existing.contentHash !== prepared.contentHash || existing.streamId !== streamId) {
      conflicts.push({
        eventId: id,
        existingHash: existing.contentHash,
        existingStreamId: existing.streamId,
        existingStreamPosition: existing.streamPosition,
        offeredHash: prepared.contentHash,
        offeredStreamId: streamId,
      });
    }
  }
  if (conflicts.length > 0) return { kind: "refused", error: new IdempotencyConflictError(conflicts) };
  if (recorded.length > 0 && notRecorded.length > 0) {
    return {
      kind: "refused",
      error: new PartialDuplicateAppendError(streamId, alreadyRecorded, notRecorded),
    };
  }
  if (recorded.length > 0) return { kind: "replay", known: recorded, revision: current };
  if (!revisionMatches(expectedRevision, current)) {
    return { kind: "refused", error: new ExpectedVersionConflictError(streamId, expectedRevision, current) };
  }
  return { kind: "accept" };
}

function toOutcome(decision: Decision): AppendManyOutcome {
  switch (decision.kind) {
    case "refused":
      return { ok: false, error: decision.error };
    case "replay":
      return {
        ok: true,
        result: {
          nextExpectedRevision: decision.revision,
          idempotentReplay: true,
          positions: decision.known.map((k, index) => positionOf(k, index)),
        },
      };
    case "written":
      return {
        ok: true,
        result: {
          nextExpectedRevision: decision.revision,
          idempotentReplay: false,
          positions: decision.rows.map((row) => ({
            eventId: row.prepared.event.eventId,
            streamPosition: row.streamPosition,
            globalPosition: row.globalPosition,
          })),
        },
      };
  }
}

function positionOf(known: KnownEvent, index: number): AppendedPosition {
  const globalPosition = known.committedPosition ?? known.pending?.globalPosition;
  const eventId = known.eventId;
  if (globalPosition === undefined || globalPosition === 0)
    throw new Error(`replayed event #${index} has no global position`);
  return { eventId, streamPosition: known.streamPosition, globalPosition };
}

/** The drivers hand json back parsed (pg) or as text; accept both, and check the shape. */
function parseJsonArray(value: unknown, what: string): Record<string, unknown>[] {
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  if (!Array.isArray(parsed)) throw new Error(`appendMany state: ${what} are not a JSON array`);
  return parsed as Record<string, unknown>[];
}
