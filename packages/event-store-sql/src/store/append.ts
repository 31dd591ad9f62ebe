import {
  type AppendedPosition,
  type AppendResult,
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

interface ExistingRow {
  event_id: string;
  stream_id: string;
  stream_position: unknown;
  global_position: unknown;
  content_hash: string;
  [key: string]: unknown;
}

/**
 * One append, inside the caller's transaction, which must have started with appendLockStatement (the
 * schema's append lock). Order of checks (each one writes nothing when it fails):
 * 1. read, in one statement, the stream's revision, the chain head and any rows with the offered ids;
 * 2. idempotency: all ids present with identical content → replay, nothing written; any present with
 *    different content → IdempotencyConflictError; some present → PartialDuplicateAppendError;
 * 3. expected revision → ExpectedVersionConflictError;
 * 4. hash, then insert, taking global positions (insertRows: one multi-row INSERT per INSERT_CHUNK_ROWS).
 */
export async function appendInTransaction(
  tx: SqlQueryable,
  tables: StoreTables,
  streamId: string,
  batch: readonly PreparedEvent[],
  expectedRevision: ExpectedRevision,
  recordedAt: string,
  notifyCommit: boolean,
): Promise<AppendResult> {
  // Everything the checks need, read in one statement (one snapshot, taken after the lock was granted).
  const stateRows = await tx.query<{ revision: unknown; head_hash: string | null; existing: unknown }>(
    `SELECT
       (SELECT coalesce(max(stream_position), 0) FROM ${tables.events} WHERE stream_id = $2) AS revision,
       (SELECT hash FROM ${tables.events} ORDER BY global_position DESC LIMIT 1) AS head_hash,
       (SELECT coalesce(json_agg(json_build_object(
                 'event_id', event_id, 'stream_id', stream_id, 'stream_position', stream_position,
                 'global_position', global_position, 'content_hash', content_hash)), '[]'::json)
          FROM ${tables.events} WHERE event_id = ANY($1::text[])) AS existing`,
    [batch.map((p) => p.event.eventId), streamId],
  );
  const state = stateRows[0];
  if (state === undefined) throw new Error("append state query returned no row");
  const currentRevision = toSafeInteger(state.revision, "stream revision");
  const existing = parseExisting(state.existing);
  if (existing.length > 0) return replayOrReject(streamId, batch, existing, currentRevision);

  if (!revisionMatches(expectedRevision, currentRevision)) {
    throw new ExpectedVersionConflictError(streamId, expectedRevision, currentRevision);
  }
  const rows = batch.map(
    (prepared, index): PendingRow => ({
      streamId,
      prepared,
      streamPosition: currentRevision + index + 1,
      globalPosition: 0,
      prevHash: "",
      hash: "",
    }),
  );
  linkChain(rows, state.head_hash ?? GENESIS_HASH);
  await insertRows(tx, tables, rows, recordedAt, notifyCommit);
  const positions: AppendedPosition[] = rows.map((row) => ({
    eventId: row.prepared.event.eventId,
    streamPosition: row.streamPosition,
    globalPosition: row.globalPosition,
  }));
  return { nextExpectedRevision: currentRevision + batch.length, positions, idempotentReplay: false };
}

/** The drivers hand json back parsed (pg) or as text; accept both, and check the shape. */
function parseExisting(value: unknown): ExistingRow[] {
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  if (!Array.isArray(parsed)) throw new Error("append state: existing events are not a JSON array");
  return parsed as ExistingRow[];
}

function replayOrReject(
  streamId: string,
  batch: readonly PreparedEvent[],
  existing: readonly ExistingRow[],
  currentRevision: number,
): AppendResult {
  const byId = new Map(existing.map((row) => [row.event_id, row]));
  const conflicts: IdempotencyConflictDetail[] = [];
  const alreadyRecorded: string[] = [];
  const notRecorded: string[] = [];
  for (const prepared of batch) {
    const row = byId.get(prepared.event.eventId);
    if (row === undefined) {
      notRecorded.push(prepared.event.eventId);
      continue;
    }
    alreadyRecorded.push(prepared.event.eventId);
    if (row.content_hash !== prepared.contentHash || row.stream_id !== streamId) {
      conflicts.push({
        eventId: prepared.event.eventId,
        existingHash: row.content_hash,
        existingStreamId: row.stream_id,
        existingStreamPosition: toSafeInteger(row.stream_position, "stream position"),
        offeredHash: prepared.contentHash,
        offeredStreamId: streamId,
      });
    }
  }
  if (conflicts.length > 0) throw new IdempotencyConflictError(conflicts);
  if (notRecorded.length > 0) throw new PartialDuplicateAppendError(streamId, alreadyRecorded, notRecorded);
  return {
    nextExpectedRevision: currentRevision,
    positions: batch.map((prepared) => {
      const row = byId.get(prepared.event.eventId) as ExistingRow;
      return {
        eventId: prepared.event.eventId,
        streamPosition: toSafeInteger(row.stream_position, "stream position"),
        globalPosition: toSafeInteger(row.global_position, "global position"),
      };
    }),
    idempotentReplay: true,
  };
}
