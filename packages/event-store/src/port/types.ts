import type { JsonObject, JsonValue } from "@icm/events";
import type { EventStoreError } from "./errors.js";

/**
 * Expected revision of a stream at append time. Revisions are normalised at this interface whatever the
 * backend counts from: an empty (or missing) stream is at revision 0, a stream with k events at k.
 */
export const NO_CONCURRENCY_CHECK = "no_concurrency_check" as const;
export const STREAM_DOES_NOT_EXIST = "stream_does_not_exist" as const;
export const STREAM_EXISTS = "stream_exists" as const;
export type ExpectedRevision =
  | typeof NO_CONCURRENCY_CHECK
  | typeof STREAM_DOES_NOT_EXIST
  | typeof STREAM_EXISTS
  | number;

/** What a writer hands the store. `data` and `metadata` are canonical-JSON-encodable (no floats). */
export interface EventToAppend {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

/** What the store hands back: the event plus where it sits in the log and its link in the hash chain. */
export interface RecordedEvent extends EventToAppend {
  readonly streamId: string;
  /** 1-based position within the stream: the k-th event of a stream has streamPosition k. */
  readonly streamPosition: number;
  /** Position in the one global order; strictly increasing, not necessarily contiguous. */
  readonly globalPosition: number;
  /** Hash of the previous event in global order (GENESIS_HASH for the first). */
  readonly prevHash: string;
  /** SHA-256(prevHash ‖ canonical bytes of `hashedContent(event)`). */
  readonly hash: string;
  /** When the store recorded it, from the store's injected clock. Metadata only: never a business input. */
  readonly recordedAt: string;
}

export interface AppendedPosition {
  readonly eventId: string;
  readonly streamPosition: number;
  readonly globalPosition: number;
}

export interface AppendResult {
  /** The stream's revision after the append (= number of events in it). */
  readonly nextExpectedRevision: number;
  readonly positions: readonly AppendedPosition[];
  /** True when every event was already recorded with identical content: nothing was written. */
  readonly idempotentReplay: boolean;
}

export interface ReadStreamOptions {
  /** First stream position to return (1-based, inclusive). Default: 1 forwards, the last one backwards. */
  readonly from?: number;
  /** Last stream position to return (inclusive). */
  readonly to?: number;
  readonly maxCount?: number;
  readonly direction?: "forwards" | "backwards";
}

export interface ReadStreamResult {
  readonly streamExists: boolean;
  readonly currentRevision: number;
  readonly events: readonly RecordedEvent[];
}

export interface ReadAllOptions {
  /** Exclusive checkpoint: return events with globalPosition > after. Default 0 (from the start). */
  readonly after?: number;
  /** Page size; must be 1..MAX_PAGE_SIZE. */
  readonly limit?: number;
  /** Only events of these types; the page's `checkpoint` still advances past skipped ones. */
  readonly eventTypes?: readonly string[];
}

export interface ReadAllPage {
  readonly events: readonly RecordedEvent[];
  /** Resume point for the next page: the last scanned committed position (advances even if filtered). */
  readonly checkpoint: number;
  /** True when no committed event exists after `checkpoint` at the time of the read. */
  readonly isEnd: boolean;
}

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 5_000;
/** Bound on one append batch: large imports are split by the caller, never sent as one transaction. */
export const MAX_APPEND_BATCH = 5_000;

export interface SubscriptionHandler {
  /** Called once per event, in global order, awaited before the next one is delivered. */
  onEvent(event: RecordedEvent): Promise<void> | void;
  /** Called each time the subscriber has seen everything committed so far (first time = end of catch-up). */
  onCaughtUp?(checkpoint: number): Promise<void> | void;
  /** Called when the checkpoint advances past filtered-out events, so sparse filters still move it. */
  onCheckpoint?(checkpoint: number): Promise<void> | void;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint to resume from; default 0. */
  readonly after?: number;
  readonly eventTypes?: readonly string[];
  readonly pageSize?: number;
  /** How often a polling adapter looks for new events when live. */
  readonly pollIntervalMs?: number;
}

export interface Subscription {
  /** Resolves at the first caught-up signal, with the checkpoint reached. */
  readonly caughtUp: Promise<number>;
  /** Resolves when the subscription stops after close(); rejects if it died (handler or store error). */
  readonly done: Promise<void>;
  /** Stops delivery, waits for the in-flight handler, releases timers and connections. */
  close(): Promise<void>;
}

export interface ChainHead {
  readonly globalPosition: number;
  readonly hash: string;
}

export type ChainVerification =
  | { readonly ok: true; readonly checked: number; readonly head: ChainHead }
  | {
      readonly ok: false;
      readonly checked: number;
      /** Global position of the first event whose link does not hold. */
      readonly position: number;
      readonly reason: "hash_mismatch" | "prev_hash_mismatch" | "order_violation";
      readonly expected: string;
      readonly found: string;
    };

/**
 * The append-only event store. There is deliberately no update or delete: corrections are new events.
 */
export interface EventStore {
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult>;
  /**
   * Many streams' appends in one call: the throughput path for ingest (one transaction, one lock, one
   * multi-row insert where the backend allows it). Returns one outcome per item, in item order.
   *
   * - Items are applied in order, each atomically and independently, with exactly append()'s rules
   *   (structure, idempotency, expected revision), as if append() had been called for each in turn.
   * - An item sees the effect of earlier items of the same call: two items on one stream with revisions
   *   0 then 1 both succeed; the same event id offered twice is an idempotent replay (same content) or an
   *   IdempotencyConflictError (different content) the second time.
   * - A typed error (EventStoreError) on one item is that item's outcome: nothing of that item is written
   *   and the other items are not affected.
   * - Global order is item order: every event of item i comes before every event of item j > i.
   * - An unexpected failure of the store (connection lost, the store closed) rejects the whole call and,
   *   on adapters that batch (memory, SQL), writes nothing. Retrying the call is safe: idempotency turns
   *   what was written into replays. Adapters that cannot batch (appendManySequentially) may have written
   *   the items before the failure.
   * - Bound: at most MAX_APPEND_BATCH events in all items together, and at most MAX_APPEND_BATCH items;
   *   otherwise the whole call rejects with InvalidAppendError and nothing is written.
   */
  appendMany(items: readonly AppendManyItem[]): Promise<AppendManyOutcome[]>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<ReadStreamResult>;
  readAll(options?: ReadAllOptions): Promise<ReadAllPage>;
  subscribeToAll(handler: SubscriptionHandler, options?: SubscribeOptions): Subscription;
  /** The last committed event's position and hash (position 0 and GENESIS_HASH when empty). */
  head(): Promise<ChainHead>;
  /** Walks the chain from the start (or `to` inclusive) and reports the first broken link. */
  verifyChain(options?: { to?: number }): Promise<ChainVerification>;
  close(): Promise<void>;
}

/** Injected so that no adapter reads the wall clock itself (tests pass a fixed clock). */
export type Clock = () => string;

/** One stream's share of an appendMany call: exactly the arguments append() takes. */
export interface AppendManyItem {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
}

/** What happened to one item of an appendMany call: append()'s result, or the typed error it would throw. */
export type AppendManyOutcome =
  | { readonly ok: true; readonly result: AppendResult }
  | { readonly ok: false; readonly error: EventStoreError };

export type { JsonObject, JsonValue };
