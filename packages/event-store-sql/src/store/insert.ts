import type { SqlQueryable } from "../executor/types.js";
import type { StoreTables } from "../schema/identifiers.js";
import { type PreparedEvent, preparedChainHash, toSafeInteger } from "./validate.js";

/** Rows per INSERT statement: bounds statement size; a 5,000-event batch is still one transaction. */
export const INSERT_CHUNK_ROWS = 1_000;

/**
 * The append lock, as the statement that starts every append's transaction (TransactionOptions.afterBegin,
 * which takes no parameters: the key is a decimal integer we computed, checked here, and inlined). It
 * serialises every append: the chain needs the previous hash.
 */
export function appendLockStatement(tables: StoreTables): string {
  if (!/^-?\d{1,19}$/.test(tables.appendLockKey))
    throw new Error(`append lock key ${tables.appendLockKey} is not a bigint literal`);
  return `SELECT pg_advisory_xact_lock(${tables.appendLockKey}::bigint)`;
}

/** A row about to be inserted; its global position and hashes are filled in once positions are allocated. */
export interface PendingRow {
  readonly streamId: string;
  readonly prepared: PreparedEvent;
  readonly streamPosition: number;
  globalPosition: number;
  prevHash: string;
  hash: string;
}

/**
 * Links the chain in row order. The links cover the stream and stream position, not the global position,
 * so they can be computed before positions exist; insertRows then checks that positions follow this order.
 */
export function linkChain(rows: readonly PendingRow[], headHash: string): void {
  let prevHash = headHash;
  for (const row of rows) {
    row.prevHash = prevHash;
    row.hash = preparedChainHash(prevHash, row.streamId, row.streamPosition, row.prepared);
    prevHash = row.hash;
  }
}

/**
 * SQL for the text[] held by parameter `$n` sent as a JSON array of strings, in array order. The data and
 * metadata texts are JSON themselves, full of quotes: `pg` escapes each element of a text[] parameter with
 * two regular-expression replaces in JavaScript, a tenth of the recorder's CPU (round 11); JSON.stringify
 * does the same escaping natively, and PostgreSQL's JSON parser undoes it.
 */
function textArrayFromJson(n: number): string {
  return `(SELECT array_agg(e ORDER BY i) FROM json_array_elements_text($${n}::json) WITH ORDINALITY AS t(e, i))`;
}

/**
 * Inserts the linked rows, one statement per INSERT_CHUNK_ROWS, each taking its rows' global positions from
 * the sequence in the same statement (a separate allocation was one round trip more per append), and, when
 * asked, the commit notification with the last chunk (one more). The chain order is the global-position
 * order, so the positions must rise in row order: the rows are fed in ordinality order (the sequence is
 * evaluated after the ORDER BY), and the positions handed back are checked; a violation throws, and the
 * caller's transaction rolls back.
 */
export async function insertRows(
  tx: SqlQueryable,
  tables: StoreTables,
  rows: readonly PendingRow[],
  recordedAt: string,
  notifyCommit: boolean,
): Promise<void> {
  let lastPosition = 0;
  for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
    const chunk = rows.slice(start, start + INSERT_CHUNK_ROWS);
    // Delivered by PostgreSQL only if and when this transaction commits, to every listener in any process.
    const notify = notifyCommit && start + INSERT_CHUNK_ROWS >= rows.length;
    const inserted = await tx.query<{ event_id: string; global_position: unknown }>(
      `WITH inserted AS (
         INSERT INTO ${tables.events}
           (global_position, stream_id, stream_position, event_id, type, schema_version,
            data, metadata, content_hash, prev_hash, hash, recorded_at)
         SELECT nextval($1::regclass), u.stream_id, u.stream_position, u.event_id, u.type, u.schema_version,
                u.data, u.metadata, u.content_hash, u.prev_hash, u.hash, $2
           FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::int[],
                       ${textArrayFromJson(8)}, ${textArrayFromJson(9)},
                       $10::text[], $11::text[], $12::text[]) WITH ORDINALITY
             AS u(stream_id, stream_position, event_id, type, schema_version,
                  data, metadata, content_hash, prev_hash, hash, ord)
          ORDER BY u.ord
         RETURNING event_id, global_position)
       SELECT i.event_id, i.global_position FROM inserted AS i${
         notify ? " CROSS JOIN (SELECT pg_notify($13, '')) AS notified" : ""
       }`,
      [
        tables.positionSequence,
        recordedAt,
        chunk.map((r) => r.streamId),
        chunk.map((r) => String(r.streamPosition)),
        chunk.map((r) => r.prepared.event.eventId),
        chunk.map((r) => r.prepared.event.type),
        chunk.map((r) => r.prepared.event.schemaVersion),
        JSON.stringify(chunk.map((r) => r.prepared.dataText)),
        JSON.stringify(chunk.map((r) => r.prepared.metadataText)),
        chunk.map((r) => r.prepared.contentHash),
        chunk.map((r) => r.prevHash),
        chunk.map((r) => r.hash),
        ...(notify ? [tables.commitChannel] : []),
      ],
    );
    if (inserted.length !== chunk.length)
      throw new Error(`insert returned ${inserted.length} positions for ${chunk.length} rows`);
    const positions = new Map(
      inserted.map((r) => [r.event_id, toSafeInteger(r.global_position, "global position")]),
    );
    for (const row of chunk) {
      const position = positions.get(row.prepared.event.eventId);
      if (position === undefined || position <= lastPosition)
        throw new Error(
          `global position ${String(position)} of ${row.prepared.event.eventId} does not follow ${lastPosition}: the chain order would break`,
        );
      row.globalPosition = position;
      lastPosition = position;
    }
  }
}
