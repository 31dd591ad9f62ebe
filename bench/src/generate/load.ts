import { contentHash, type EventToAppend, eventChainHash } from "@icm/event-store";
import type { SqlEventStore, SqlQueryable } from "@icm/event-store-sql";
import {
  canonicalJson,
  type DomainEvent,
  decodeCanonical,
  GENESIS_HASH,
  type JsonObject,
  streamIdFor,
} from "@icm/events";
import { type ScenarioSummary, scenarioEvents } from "@icm/scenario";
import type { BenchOptions } from "../harness/options.js";
import { BENCH_RECORDED_AT } from "./dataset.js";

/** Rows per INSERT statement (bounded statement size, like the store's own append). */
const INSERT_ROWS = 2_000;
/** Rows per transaction: one commit per this many events. */
const TRANSACTION_ROWS = 20_000;

export interface LoadFigures {
  readonly events: number;
  readonly deals: number;
  readonly reps: number;
  readonly periods: readonly string[];
  readonly countsByType: Readonly<Record<string, number>>;
  readonly loadMs: number;
  /** True when the dataset was already in the store from an earlier benchmark of the same run (or --keep). */
  readonly reused: boolean;
}

interface Row {
  globalPosition: number;
  streamId: string;
  streamPosition: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  dataText: string;
  metadataText: string;
  contentHash: string;
  prevHash: string;
  hash: string;
}

const META = "bench_dataset";

/**
 * Streams the seeded scenario into an EMPTY store in batches. The store's `append` is one transaction per
 * stream and most events are alone on their deal's stream, so a million deals through `append` would be
 * a million round trips; the loader writes the very same rows (canonical JSON text, content hash, hash
 * chain, stream positions) in multi-row INSERTs of INSERT_ROWS, TRANSACTION_ROWS per commit, under the
 * store's append lock. `store.verifyChain()` afterwards proves the rows are what `append` would write.
 */
export async function loadScenario(store: SqlEventStore, o: BenchOptions): Promise<LoadFigures> {
  const ex = store.executor;
  const meta = `"${store.schema}"."${META}"`;
  await ex.query(
    `CREATE TABLE IF NOT EXISTS ${meta} (summary text NOT NULL, load_ms double precision NOT NULL)`,
  );
  const done = await ex.query<{ summary: string; load_ms: number }>(`SELECT summary, load_ms FROM ${meta}`);
  if (done[0] !== undefined) {
    return {
      ...(JSON.parse(done[0].summary) as Omit<LoadFigures, "reused" | "loadMs">),
      loadMs: done[0].load_ms,
      reused: true,
    };
  }
  const head = await store.head();
  if (head.globalPosition !== 0)
    throw new Error(`schema ${store.schema} holds a partial load: drop it and rerun`);

  const started = process.hrtime.bigint();
  const revisions = new Map<string, number>();
  let prevHash = GENESIS_HASH;
  let position = 0;
  let pending: Row[] = [];
  const events = scenarioEvents({
    seed: o.seed,
    reps: o.reps,
    deals: o.deals,
    quarters: o.quarters,
    startQuarter: o.startQuarter,
  });
  const flush = async () => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    await ex.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext($1)::bigint)", [`bench-load:${store.schema}`]);
      for (let start = 0; start < rows.length; start += INSERT_ROWS)
        await insert(tx, store.schema, rows.slice(start, start + INSERT_ROWS));
    });
  };
  let summary: ScenarioSummary;
  for (;;) {
    const step = events.next();
    if (step.done === true) {
      summary = step.value;
      break;
    }
    const event: DomainEvent = step.value;
    const streamId = streamIdFor(event);
    const streamPosition = (revisions.get(streamId) ?? 0) + 1;
    revisions.set(streamId, streamPosition);
    const dataText = canonicalJson(event.data as unknown as JsonObject);
    const metadataText = canonicalJson(event.metadata as JsonObject);
    const stored: EventToAppend = {
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: decodeCanonical(dataText) as JsonObject,
      metadata: decodeCanonical(metadataText) as JsonObject,
    };
    position += 1;
    const hash = eventChainHash(prevHash, streamId, streamPosition, stored);
    pending.push({
      globalPosition: position,
      streamId,
      streamPosition,
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      dataText,
      metadataText,
      contentHash: contentHash(streamId, stored),
      prevHash,
      hash,
    });
    prevHash = hash;
    if (pending.length >= TRANSACTION_ROWS) await flush();
  }
  await flush();
  // The store allocates positions from its sequence: move it past what the loader wrote.
  await ex.query(`SELECT setval('"${store.schema}"."events_global_position_seq"', $1::bigint)`, [
    String(Math.max(position, 1)),
  ]);
  const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
  const figures = {
    events: position,
    deals: summary.deals,
    reps: summary.org.reps.length,
    periods: summary.periods,
    countsByType: summary.countsByType,
  };
  await ex.query(`ANALYZE "${store.schema}"."events"`);
  await ex.query(`INSERT INTO ${meta} (summary, load_ms) VALUES ($1, $2)`, [JSON.stringify(figures), loadMs]);
  return { ...figures, loadMs: Math.round(loadMs), reused: false };
}

async function insert(tx: SqlQueryable, schema: string, rows: readonly Row[]): Promise<void> {
  await tx.query(
    `INSERT INTO "${schema}"."events"
       (global_position, stream_id, stream_position, event_id, type, schema_version,
        data, metadata, content_hash, prev_hash, hash, recorded_at)
     SELECT u.global_position, u.stream_id, u.stream_position, u.event_id, u.type, u.schema_version,
            u.data, u.metadata, u.content_hash, u.prev_hash, u.hash, $12
       FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[],
                   $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
         AS u(global_position, stream_id, stream_position, event_id, type, schema_version,
              data, metadata, content_hash, prev_hash, hash)`,
    [
      rows.map((r) => String(r.globalPosition)),
      rows.map((r) => r.streamId),
      rows.map((r) => String(r.streamPosition)),
      rows.map((r) => r.eventId),
      rows.map((r) => r.type),
      rows.map((r) => r.schemaVersion),
      rows.map((r) => r.dataText),
      rows.map((r) => r.metadataText),
      rows.map((r) => r.contentHash),
      rows.map((r) => r.prevHash),
      rows.map((r) => r.hash),
      BENCH_RECORDED_AT,
    ],
  );
}
