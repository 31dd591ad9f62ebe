import type { JsonObject } from "@icm/events";
import { canonicalJson, decodeCanonical, GENESIS_HASH } from "@icm/events";
import { assertAppendManyBounds } from "../batch/append-many.js";
import { verifyChainFrom } from "../chain/verify.js";
import {
  EventStoreError,
  ExpectedVersionConflictError,
  type IdempotencyConflictDetail,
  IdempotencyConflictError,
  PartialDuplicateAppendError,
  StoreClosedError,
} from "../port/errors.js";
import { contentHash, eventChainHash } from "../port/hashing.js";
import type {
  AppendManyItem,
  AppendManyOutcome,
  AppendResult,
  ChainHead,
  Clock,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
} from "../port/types.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../port/types.js";
import { type PollingSubscription, startPollingSubscription } from "../subscription/polling.js";
import { assertValidAppend, revisionMatches } from "../validation/append.js";
import { systemClock } from "./clock.js";

export interface InMemoryEventStoreOptions {
  /** Source of recordedAt; inject a fixed clock in tests. */
  readonly clock?: Clock;
}

/** Powers only a test harness gets: corrupt the log, or make reads fail as a dropped connection would. */
export interface InMemoryTestHooks {
  editData(globalPosition: number, data: JsonObject): Promise<void>;
  deleteEvent(globalPosition: number): Promise<void>;
  swapPositions(a: number, b: number): Promise<void>;
  /** The next `count` reads (readAll and readStream) throw, as if the connection had dropped. */
  failNextReads(count: number): void;
}

interface IdRecord {
  readonly contentHash: string;
  readonly event: RecordedEvent;
}

/** Upper bound on events scanned by one filtered readAll page, so a sparse filter cannot scan the world. */
const MAX_SCAN_PER_PAGE = MAX_PAGE_SIZE;

export class ReadFailureInjected extends Error {
  override readonly name = "ReadFailureInjected";
  constructor() {
    super("injected read failure (simulated dropped connection)");
  }
}

/** An EventStore held in process memory: the reference implementation of the contract. */
export function createInMemoryEventStore(options: InMemoryEventStoreOptions = {}): EventStore {
  return createInMemoryEventStoreWithHooks(options).store;
}

export function createInMemoryEventStoreWithHooks(options: InMemoryEventStoreOptions = {}): {
  store: EventStore;
  hooks: InMemoryTestHooks;
} {
  const clock = options.clock ?? systemClock;
  /** The log, in global order. Positions are contiguous until a test hook deletes one. */
  let log: RecordedEvent[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  const byEventId = new Map<string, IdRecord>();
  const subscriptions = new Set<PollingSubscription>();
  let readFailuresPending = 0;
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new StoreClosedError();
  };
  const maybeFailRead = () => {
    if (readFailuresPending > 0) {
      readFailuresPending -= 1;
      throw new ReadFailureInjected();
    }
  };

  /** One append, checked and committed in one synchronous step (nothing else can run in between). */
  function appendNow(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): AppendResult {
    assertOpen();
    assertValidAppend(streamId, events, expectedRevision);
    const stream = streams.get(streamId) ?? [];
    const current = stream.length;

    // Idempotency first: a retry whose acknowledgement was lost must get its original answer even though
    // the stream has moved on since (its expected revision is now stale).
    const recorded: IdRecord[] = [];
    const fresh: string[] = [];
    const conflicts: IdempotencyConflictDetail[] = [];
    for (const event of events) {
      const existing = byEventId.get(event.eventId);
      if (!existing) {
        fresh.push(event.eventId);
        continue;
      }
      recorded.push(existing);
      const offeredHash = contentHash(streamId, event);
      if (offeredHash !== existing.contentHash) {
        conflicts.push({
          eventId: event.eventId,
          existingHash: existing.contentHash,
          existingStreamId: existing.event.streamId,
          existingStreamPosition: existing.event.streamPosition,
          offeredHash,
          offeredStreamId: streamId,
        });
      }
    }
    if (conflicts.length > 0) throw new IdempotencyConflictError(conflicts);
    if (recorded.length > 0 && fresh.length > 0) {
      throw new PartialDuplicateAppendError(
        streamId,
        recorded.map((r) => r.event.eventId),
        fresh,
      );
    }
    if (recorded.length > 0) {
      return {
        nextExpectedRevision: current,
        idempotentReplay: true,
        positions: recorded.map((r) => ({
          eventId: r.event.eventId,
          streamPosition: r.event.streamPosition,
          globalPosition: r.event.globalPosition,
        })),
      };
    }

    if (!revisionMatches(expectedRevision, current)) {
      throw new ExpectedVersionConflictError(streamId, expectedRevision, current);
    }

    // Build the whole batch first, then commit it in one synchronous step: all or nothing.
    const recordedAt = clock();
    const previous = log.at(-1);
    let prevHash = previous?.hash ?? GENESIS_HASH;
    let globalPosition = previous?.globalPosition ?? 0;
    const batch: RecordedEvent[] = events.map((event, index) => {
      // Stored as its canonical decoding: the store keeps JSON, not the caller's objects (no aliasing,
      // Decimals become strings exactly as a database would hand them back).
      const stored: EventToAppend = {
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: decodeCanonical(canonicalJson(event.data)) as JsonObject,
        metadata: decodeCanonical(canonicalJson(event.metadata)) as JsonObject,
      };
      const streamPosition = current + index + 1;
      globalPosition += 1;
      const hash = eventChainHash(prevHash, streamId, streamPosition, stored);
      const recordedEvent: RecordedEvent = deepFreeze({
        ...stored,
        streamId,
        streamPosition,
        globalPosition,
        prevHash,
        hash,
        recordedAt,
      });
      prevHash = hash;
      return recordedEvent;
    });
    for (const event of batch) {
      log.push(event);
      stream.push(event);
      byEventId.set(event.eventId, { contentHash: contentHash(streamId, event), event });
    }
    streams.set(streamId, stream);
    return {
      nextExpectedRevision: stream.length,
      idempotentReplay: false,
      positions: batch.map((e) => ({
        eventId: e.eventId,
        streamPosition: e.streamPosition,
        globalPosition: e.globalPosition,
      })),
    };
  }

  const wakeSubscriptions = () => {
    for (const subscription of subscriptions) subscription.wake();
  };

  async function append(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const result = appendNow(streamId, events, expectedRevision);
    if (!result.idempotentReplay) wakeSubscriptions();
    return result;
  }

  /** Every item in one synchronous step: no other append interleaves, global order is item order. */
  async function appendMany(items: readonly AppendManyItem[]): Promise<AppendManyOutcome[]> {
    assertOpen();
    assertAppendManyBounds(items);
    const outcomes = items.map((item): AppendManyOutcome => {
      try {
        return { ok: true, result: appendNow(item.streamId, item.events, item.expectedRevision) };
      } catch (error) {
        if (error instanceof EventStoreError) return { ok: false, error };
        throw error;
      }
    });
    if (outcomes.some((o) => o.ok && !o.result.idempotentReplay)) wakeSubscriptions();
    return outcomes;
  }

  async function readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    assertOpen();
    maybeFailRead();
    const direction = options.direction ?? "forwards";
    for (const key of ["from", "to", "maxCount"] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        throw new RangeError(`readStream ${key} must be an integer >= 0, got ${value}`);
      }
    }
    const stream = streams.get(streamId);
    if (!stream) return { streamExists: false, currentRevision: 0, events: [] };
    const current = stream.length;
    const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    if (direction === "forwards") {
      const from = Math.max(1, options.from ?? 1);
      const to = Math.min(current, options.to ?? current);
      for (let position = from; position <= to && events.length < maxCount; position += 1) {
        const event = stream[position - 1];
        if (event) events.push(event);
      }
    } else {
      const from = Math.min(current, options.from ?? current);
      const to = Math.max(1, options.to ?? 1);
      for (let position = from; position >= to && events.length < maxCount; position -= 1) {
        const event = stream[position - 1];
        if (event) events.push(event);
      }
    }
    return { streamExists: true, currentRevision: current, events };
  }

  /** Index of the first event with globalPosition > after (binary search: the log is sorted). */
  function firstIndexAfter(after: number): number {
    let low = 0;
    let high = log.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((log[middle]?.globalPosition ?? 0) <= after) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  async function readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    assertOpen();
    maybeFailRead();
    const after = options.after ?? 0;
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isSafeInteger(after) || after < 0)
      throw new RangeError(`readAll after must be an integer >= 0, got ${after}`);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new RangeError(`readAll limit must be 1..${MAX_PAGE_SIZE}, got ${limit}`);
    }
    const types = options.eventTypes ? new Set(options.eventTypes) : undefined;
    const events: RecordedEvent[] = [];
    let checkpoint = after;
    let index = firstIndexAfter(after);
    const scanLimit = types ? Math.max(limit, MAX_SCAN_PER_PAGE) : limit;
    for (
      let scanned = 0;
      index < log.length && events.length < limit && scanned < scanLimit;
      index += 1, scanned += 1
    ) {
      const event = log[index] as RecordedEvent;
      checkpoint = event.globalPosition;
      if (!types || types.has(event.type)) events.push(event);
    }
    return { events, checkpoint, isEnd: index >= log.length };
  }

  async function head(): Promise<ChainHead> {
    assertOpen();
    const last = log.at(-1);
    return last
      ? { globalPosition: last.globalPosition, hash: last.hash }
      : { globalPosition: 0, hash: GENESIS_HASH };
  }

  const store: EventStore = {
    append,
    appendMany,
    readStream,
    readAll,
    subscribeToAll(handler, subscribeOptions = {}) {
      assertOpen();
      const subscription: PollingSubscription = startPollingSubscription(readAll, handler, {
        ...subscribeOptions,
        onStop: () => subscriptions.delete(subscription),
      });
      subscriptions.add(subscription);
      return subscription;
    },
    head,
    async verifyChain(verifyOptions = {}) {
      assertOpen();
      return verifyChainFrom(readAll, verifyOptions.to === undefined ? {} : { to: verifyOptions.to });
    },
    async close() {
      if (closed) return;
      // Subscriptions stop first, while reads still work, so their in-flight handlers can finish.
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
    },
  };

  const findIndex = (globalPosition: number): number => {
    const index = log.findIndex((e) => e.globalPosition === globalPosition);
    if (index < 0) throw new RangeError(`no event at global position ${globalPosition}`);
    return index;
  };
  const hooks: InMemoryTestHooks = {
    async editData(globalPosition, data) {
      const index = findIndex(globalPosition);
      const original = log[index] as RecordedEvent;
      log[index] = deepFreeze({ ...original, data: decodeCanonical(canonicalJson(data)) as JsonObject });
    },
    async deleteEvent(globalPosition) {
      const index = findIndex(globalPosition);
      log = [...log.slice(0, index), ...log.slice(index + 1)];
    },
    async swapPositions(a, b) {
      const indexA = findIndex(a);
      const indexB = findIndex(b);
      const eventA = log[indexA] as RecordedEvent;
      const eventB = log[indexB] as RecordedEvent;
      log[indexA] = deepFreeze({ ...eventB, globalPosition: a });
      log[indexB] = deepFreeze({ ...eventA, globalPosition: b });
    },
    failNextReads(count) {
      if (!Number.isInteger(count) || count < 0 || count > 1_000)
        throw new RangeError(`count must be 0..1000, got ${count}`);
      readFailuresPending = count;
    },
  };
  return { store, hooks };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
