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
import { INSERT_CHUNK_ROWS } from "./append.js";
import { type PreparedEvent, preparedChainHash, toSafeInteger } from "./validate.js";

/** One item of appendMany after the structural checks: ready to decide, or already refused. */
export type PreparedItem =
  | {
      readonly ok: true;
      readonly streamId: string;
      readonly batch: readonly PreparedEvent[];
      readonly expectedRevision: ExpectedRevision;
    }
  | { readonly ok: false; readonly error: EventStoreError };

/** A row about to be inserted; its global position and hashes are filled in once positions are allocated. */
interface PendingRow {
  readonly streamId: string;
  readonly prepared: PreparedEvent;
  readonly streamPosition: number;
  globalPosition: number;
  prevHash: string;
  hash: string;
}

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
 * Many items in the caller's transaction, with append()'s checks applied item by item in memory:
 * 1. take the append lock once;
 * 2. read, in one statement, the revision of every involved stream, the chain head and every committed row
 *    carrying one of the offered ids;
 * 3. decide each item in order exactly as appendInTransaction would (idempotency, then expected revision),
 *    against the committed state plus the items accepted before it in this call;
 * 4. allocate global positions for all accepted events at once, link the chain in item order, and insert
 *    them with one multi-row INSERT per INSERT_CHUNK_ROWS.
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
  await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [tables.appendLockKey]);

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
    await linkChain(tx, tables, pending, state.head_hash ?? GENESIS_HASH);
    await insertRows(tx, tables, pending, recordedAt);
    // Delivered by PostgreSQL only if and when this transaction commits, to every listener in any process.
    if (notifyCommit) await tx.query("SELECT pg_notify($1, '')", [tables.commitChannel]);
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

/**
 * Takes all global positions from the sequence in one statement and sorts them, so that the chain order
 * (by global position) is exactly the order in which the hashes are linked: item order, then batch order.
 */
async function linkChain(
  tx: SqlQueryable,
  tables: StoreTables,
  rows: readonly PendingRow[],
  headHash: string,
): Promise<void> {
  const allocated = await tx.query<{ position: unknown }>(
    "SELECT nextval($1::regclass) AS position FROM generate_series(1, $2::int)",
    [tables.positionSequence, rows.length],
  );
  const positions = allocated
    .map((row) => toSafeInteger(row.position, "global position"))
    .sort((a, b) => a - b);
  if (positions.length !== rows.length)
    throw new Error("sequence allocation returned the wrong number of positions");
  let prevHash = headHash;
  rows.forEach((row, index) => {
    row.globalPosition = positions[index] as number;
    row.prevHash = prevHash;
    row.hash = preparedChainHash(prevHash, row.streamId, row.streamPosition, row.prepared);
    prevHash = row.hash;
  });
}

async function insertRows(
  tx: SqlQueryable,
  tables: StoreTables,
  rows: readonly PendingRow[],
  recordedAt: string,
): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
    const chunk = rows.slice(start, start + INSERT_CHUNK_ROWS);
    await tx.query(
      `INSERT INTO ${tables.events}
         (global_position, stream_id, stream_position, event_id, type, schema_version,
          data, metadata, content_hash, prev_hash, hash, recorded_at)
       SELECT u.global_position, u.stream_id, u.stream_position, u.event_id, u.type, u.schema_version,
              u.data, u.metadata, u.content_hash, u.prev_hash, u.hash, $3
         FROM unnest($1::bigint[], $2::text[], $4::bigint[], $5::text[], $6::text[], $7::int[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
           AS u(global_position, stream_id, stream_position, event_id, type, schema_version,
                data, metadata, content_hash, prev_hash, hash)`,
      [
        chunk.map((r) => String(r.globalPosition)),
        chunk.map((r) => r.streamId),
        recordedAt,
        chunk.map((r) => String(r.streamPosition)),
        chunk.map((r) => r.prepared.event.eventId),
        chunk.map((r) => r.prepared.event.type),
        chunk.map((r) => r.prepared.event.schemaVersion),
        chunk.map((r) => r.prepared.dataText),
        chunk.map((r) => r.prepared.metadataText),
        chunk.map((r) => r.prepared.contentHash),
        chunk.map((r) => r.prevHash),
        chunk.map((r) => r.hash),
      ],
    );
  }
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
