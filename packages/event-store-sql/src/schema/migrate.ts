import type { SqlExecutor } from "../executor/types.js";
import { MIGRATION_LOCK_KEY, type StoreTables } from "./identifiers.js";

/**
 * Creates the schema and the events table if they do not exist; safe to call any number of times, from
 * several processes at once (the migration lock serialises racing `CREATE ... IF NOT EXISTS`, which can
 * otherwise fail with a unique violation in the catalog).
 *
 * Column decisions:
 * - `data` and `metadata` are `text` holding the JSON exactly as offered (key order kept), not `jsonb`:
 *   jsonb reorders keys, rejects `\u0000` in strings and rewrites numbers; text round-trips byte for byte,
 *   and the chain hash is recomputed from the parsed value's canonical bytes, which do not depend on
 *   key order.
 * - `recorded_at` is the injected clock's string, kept as text so that it round-trips exactly.
 * - `transaction_id xid8` records the writing transaction for the snapshot rule in readAll.
 * - No separate streams table: the stream revision is max(stream_position), one probe of the
 *   (stream_id, stream_position) unique index, taken under the append lock.
 */
export async function migrate(executor: SqlExecutor, tables: StoreTables): Promise<void> {
  await executor.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${tables.schemaQuoted}`);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS ${tables.events} (
        global_position bigserial PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL,
        stream_position bigint NOT NULL CHECK (stream_position >= 1),
        event_id text NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL CHECK (schema_version >= 1),
        data text NOT NULL,
        metadata text NOT NULL,
        content_hash text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        recorded_at text NOT NULL,
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_position_key UNIQUE (stream_id, stream_position)
      )`);
  });
}
