import {
  type ChainHead,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
  type ReadStreamResult,
  type RecordedEvent,
} from "@icm/event-store";
import type { JsonObject } from "@icm/events";
import { attachStoredTexts, decodeCanonical, GENESIS_HASH } from "@icm/events";
import type { SqlQueryable } from "../executor/types.js";
import type { StoreTables } from "../schema/identifiers.js";
import { toSafeInteger } from "./validate.js";

/** Upper bound on rows one filtered readAll page may scan past, so a sparse filter cannot scan the world. */
export const MAX_SCAN_PER_PAGE = MAX_PAGE_SIZE;

const eventColumns = `e.global_position, e.stream_id, e.stream_position, e.event_id, e.type, e.schema_version,
  e.data, e.metadata, e.prev_hash, e.hash, e.recorded_at`;

/**
 * Which committed rows a log reader may pass (contract behaviour 15: never pass a position whose
 * transaction commits later).
 *
 * The append lock alone is sufficient for writers that go through this store. Every append takes
 * pg_advisory_xact_lock before it reads the chain head and allocates its global positions (and before its
 * first INSERT gives it a transaction id), and PostgreSQL makes a commit visible before it releases the
 * transaction's locks. So positions are allocated in commit order: any row a reader cannot see yet belongs
 * to the lock holder or a later appender, and has a higher position than every row the reader can see.
 * A rolled-back append leaves a gap that is never filled, which readers pass safely.
 *
 * The emmett rule (PR #336), `transaction_id < pg_snapshot_xmin(pg_current_snapshot())`, is available as
 * `snapshotGuard: true` for a database where something may insert rows without the lock. It is off by
 * default because xmin is cluster-wide: while ANY transaction holding an xid is open anywhere on the server
 * (another service, a migration, a long report), readers stop at the rows written before it began. That
 * breaks read-your-writes (append, then readAll or head, misses the append) and made the contract's
 * round-trip test flaky on a shared server. Note that on its own the rule is not sufficient either: it
 * relies on xids being assigned in position order, which only the lock (or luck) provides.
 */
export interface Visibility {
  readonly snapshotGuard: boolean;
}

const snapshotCte = "snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)";

function visibleClause(visibility: Visibility): { cte: string; where: string } {
  return visibility.snapshotGuard
    ? { cte: `WITH ${snapshotCte},`, where: "AND e.transaction_id < (SELECT xmin FROM snap)" }
    : { cte: "WITH", where: "" };
}

export interface EventRow {
  global_position: unknown;
  stream_id: string;
  stream_position: unknown;
  event_id: string;
  type: string;
  schema_version: unknown;
  data: string;
  metadata: string;
  prev_hash: string;
  hash: string;
  recorded_at: string;
  [key: string]: unknown;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  // The texts data and metadata are parsed from ride along (not enumerable), so a verifier checks the
  // chain over the stored bytes instead of re-encoding the objects (recordedChainHash).
  return attachStoredTexts(toRecordedFields(row), row.data, row.metadata);
}

function toRecordedFields(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: toSafeInteger(row.schema_version, "schema version"),
    data: decodeCanonical(row.data) as JsonObject,
    metadata: decodeCanonical(row.metadata) as JsonObject,
    streamId: row.stream_id,
    streamPosition: toSafeInteger(row.stream_position, "stream position"),
    globalPosition: toSafeInteger(row.global_position, "global position"),
    prevHash: row.prev_hash,
    hash: row.hash,
    recordedAt: row.recorded_at,
  };
}

function assertCount(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`readStream ${name} must be an integer >= 0, got ${value}`);
  }
}

/**
 * One stream, by stream position. No snapshot rule is needed here: stream positions are contiguous and
 * unique, so a reader of one stream can only ever see a prefix of it. One statement, so the revision and
 * the events come from the same snapshot.
 */
export async function readStreamRows(
  db: SqlQueryable,
  tables: StoreTables,
  streamId: string,
  options: ReadStreamOptions,
): Promise<ReadStreamResult> {
  assertCount(options.from, "from");
  assertCount(options.to, "to");
  assertCount(options.maxCount, "maxCount");
  const backwards = (options.direction ?? "forwards") === "backwards";
  if (options.maxCount === 0) {
    const rows = await db.query<{ revision: unknown }>(
      `SELECT coalesce(max(stream_position), 0) AS revision FROM ${tables.events} WHERE stream_id = $1`,
      [streamId],
    );
    const currentRevision = toSafeInteger(rows[0]?.revision, "stream revision");
    return { streamExists: currentRevision > 0, currentRevision, events: [] };
  }
  // Forwards: from (default 1) up to `to`; backwards: from (default the last) down to `to` (default 1).
  const low = backwards ? (options.to ?? 1) : (options.from ?? 1);
  const high = backwards ? (options.from ?? null) : (options.to ?? null);
  const rows = await db.query<EventRow & { current_revision: unknown }>(
    `WITH rev AS (
       SELECT coalesce(max(stream_position), 0) AS current_revision FROM ${tables.events} WHERE stream_id = $1
     )
     SELECT rev.current_revision, page.*
       FROM rev LEFT JOIN LATERAL (
         SELECT ${eventColumns} FROM ${tables.events} e
          WHERE e.stream_id = $1 AND e.stream_position >= $2::bigint
            AND ($3::bigint IS NULL OR e.stream_position <= $3::bigint)
            AND e.stream_position <= rev.current_revision
          ORDER BY e.stream_position ${backwards ? "DESC" : "ASC"}
          LIMIT $4::bigint
       ) page ON true`,
    [
      streamId,
      String(low),
      high === null ? null : String(high),
      options.maxCount === undefined ? null : String(options.maxCount),
    ],
  );
  const currentRevision = toSafeInteger(rows[0]?.current_revision, "stream revision");
  const events = rows.filter((row) => row.global_position !== null).map(toRecordedEvent);
  return { streamExists: currentRevision > 0, currentRevision, events };
}

/**
 * One page of the global log after an exclusive checkpoint, in one statement (one snapshot):
 * - `win`: up to scanLimit + 1 visible rows after the checkpoint (the extra row says whether more exist);
 * - `bound`: the last position of the first scanLimit of them, the furthest this page may advance;
 * - the page: matching rows up to that bound, at most `limit`.
 * The checkpoint advances to the last delivered event when the page is full, otherwise to the bound, so a
 * filter that matches rarely still moves it (contract behaviour 20).
 */
export async function readAllRows(
  db: SqlQueryable,
  tables: StoreTables,
  visibility: Visibility,
  options: ReadAllOptions,
): Promise<ReadAllPage> {
  const after = options.after ?? 0;
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(after) || after < 0)
    throw new RangeError(`readAll after must be an integer >= 0, got ${after}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RangeError(`readAll limit must be 1..${MAX_PAGE_SIZE}, got ${limit}`);
  }
  const types = options.eventTypes === undefined ? null : [...options.eventTypes];
  const scanLimit = types === null ? limit : Math.max(limit, MAX_SCAN_PER_PAGE);
  const visible = visibleClause(visibility);
  const rows = await db.query<EventRow & { upto: unknown; scanned: unknown }>(
    `${visible.cte}
     win AS (
       SELECT e.global_position FROM ${tables.events} e
        WHERE e.global_position > $1::bigint ${visible.where}
        ORDER BY e.global_position LIMIT $3::int + 1
     ),
     bound AS (
       SELECT (SELECT max(w.global_position) FROM (SELECT global_position FROM win ORDER BY global_position LIMIT $3::int) w) AS upto,
              (SELECT count(*) FROM win) AS scanned
     )
     SELECT bound.upto, bound.scanned, page.*
       FROM bound LEFT JOIN LATERAL (
         SELECT ${eventColumns} FROM ${tables.events} e
          WHERE e.global_position > $1::bigint AND e.global_position <= bound.upto ${visible.where}
            AND ($4::text[] IS NULL OR e.type = ANY($4::text[]))
          ORDER BY e.global_position LIMIT $2::int
       ) page ON true`,
    [String(after), limit, scanLimit, types],
  );
  const first = rows[0];
  const upto =
    first?.upto === null || first?.upto === undefined ? after : toSafeInteger(first.upto, "scan bound");
  const moreBeyondWindow = toSafeInteger(first?.scanned ?? 0, "scanned rows") > scanLimit;
  const events = rows.filter((row) => row.global_position !== null).map(toRecordedEvent);
  const last = events.at(-1);
  if (last !== undefined && events.length === limit) {
    return {
      events,
      checkpoint: last.globalPosition,
      isEnd: last.globalPosition === upto && !moreBeyondWindow,
    };
  }
  return { events, checkpoint: upto, isEnd: !moreBeyondWindow };
}

/** The last visible event's link (same visibility rule as readAll, so a head never runs ahead of a read). */
export async function readHead(
  db: SqlQueryable,
  tables: StoreTables,
  visibility: Visibility,
): Promise<ChainHead> {
  const rows = await db.query<{ global_position: unknown; hash: string }>(
    visibility.snapshotGuard
      ? `WITH ${snapshotCte} SELECT e.global_position, e.hash FROM ${tables.events} e
          WHERE e.transaction_id < (SELECT xmin FROM snap) ORDER BY e.global_position DESC LIMIT 1`
      : `SELECT e.global_position, e.hash FROM ${tables.events} e ORDER BY e.global_position DESC LIMIT 1`,
  );
  const row = rows[0];
  if (row === undefined) return { globalPosition: 0, hash: GENESIS_HASH };
  return { globalPosition: toSafeInteger(row.global_position, "global position"), hash: row.hash };
}
