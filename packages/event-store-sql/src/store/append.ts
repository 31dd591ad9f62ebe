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
import { type PreparedEvent, preparedChainHash, toSafeInteger } from "./validate.js";

/** Rows per INSERT statement: bounds statement size; a 5,000-event batch is still one transaction. */
export const INSERT_CHUNK_ROWS = 1_000;

interface ExistingRow {
  event_id: string;
  stream_id: string;
  stream_position: unknown;
  global_position: unknown;
  content_hash: string;
  [key: string]: unknown;
}

/**
 * One append, inside the caller's transaction. Order of checks (each one writes nothing when it fails):
 * 1. take the schema's append lock (serialises every append: the chain needs the previous hash);
 * 2. read, in one statement, the stream's revision, the chain head and any rows with the offered ids;
 * 3. idempotency: all ids present with identical content → replay, nothing written; any present with
 *    different content → IdempotencyConflictError; some present → PartialDuplicateAppendError;
 * 4. expected revision → ExpectedVersionConflictError;
 * 5. allocate global positions, hash, insert (one multi-row INSERT per INSERT_CHUNK_ROWS).
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
  await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [tables.appendLockKey]);

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
  let prevHash = state.head_hash ?? GENESIS_HASH;

  // Positions are taken from the sequence before hashing and sorted here, so that the chain order (by
  // global position) is exactly the order in which the hashes were linked, whatever order the server
  // evaluates nextval in.
  const allocated = await tx.query<{ position: unknown }>(
    "SELECT nextval($1::regclass) AS position FROM generate_series(1, $2::int)",
    [tables.positionSequence, batch.length],
  );
  const globalPositions = allocated
    .map((row) => toSafeInteger(row.position, "global position"))
    .sort((a, b) => a - b);
  if (globalPositions.length !== batch.length)
    throw new Error("sequence allocation returned the wrong number of positions");

  const positions: AppendedPosition[] = [];
  const rows = batch.map((prepared, index) => {
    const streamPosition = currentRevision + index + 1;
    const globalPosition = globalPositions[index] as number;
    const hash = preparedChainHash(prevHash, streamId, streamPosition, prepared);
    const row = { prepared, streamPosition, globalPosition, prevHash, hash };
    prevHash = hash;
    positions.push({ eventId: prepared.event.eventId, streamPosition, globalPosition });
    return row;
  });

  for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
    const chunk = rows.slice(start, start + INSERT_CHUNK_ROWS);
    await tx.query(
      `INSERT INTO ${tables.events}
         (global_position, stream_id, stream_position, event_id, type, schema_version,
          data, metadata, content_hash, prev_hash, hash, recorded_at)
       SELECT u.global_position, $2, u.stream_position, u.event_id, u.type, u.schema_version,
              u.data, u.metadata, u.content_hash, u.prev_hash, u.hash, $3
         FROM unnest($1::bigint[], $4::bigint[], $5::text[], $6::text[], $7::int[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
           AS u(global_position, stream_position, event_id, type, schema_version,
                data, metadata, content_hash, prev_hash, hash)`,
      [
        chunk.map((r) => String(r.globalPosition)),
        streamId,
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
  // Delivered by PostgreSQL only if and when this transaction commits, to every listener in any process.
  if (notifyCommit) await tx.query("SELECT pg_notify($1, '')", [tables.commitChannel]);
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
