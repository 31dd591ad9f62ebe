import {
  EventStoreDBClient,
  jsonEvent,
  MaxAppendSizeExceededError,
  NO_STREAM,
  WrongExpectedVersionError,
} from "@eventstore/db-client";
import {
  type AppendResult,
  appendManySequentially,
  assertValidAppend,
  type Clock,
  contentHash,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  ExpectedVersionConflictError,
  eventChainHash,
  InvalidAppendError,
  NO_CONCURRENCY_CHECK,
  type PollingSubscription,
  type ReadAllOptions,
  revisionMatches,
  StoreClosedError,
  startPollingSubscription,
  systemClock,
  verifyChainFrom,
} from "@icm/event-store";
import { canonicalJson, decodeCanonical, type JsonObject } from "@icm/events";
import { envelopeMetadata, streamPositionOf } from "./envelope.js";
import type { EsdbClient } from "./esdb-io.js";
import { assertNamespace, esdbStreamName, eventUuid } from "./ids.js";
import { LogIndex } from "./log-index.js";
import { Mutex } from "./mutex.js";
import { readAllPage, readStreamEvents } from "./reads.js";

export type { EsdbClient } from "./esdb-io.js";

export interface EventStoreDbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`. */
  readonly connectionString: string;
  readonly clock?: Clock;
  /**
   * Prefix of every stream name (`<namespace>:<streamId>`); one namespace is one event store with its own
   * hash chain, so several stores (or test runs) can share one server. Default "icm".
   */
  readonly namespace?: string;
}

export const DEFAULT_NAMESPACE = "icm";
/** Tries of an append whose caller accepts any revision, when a writer we had not seen moved the stream. */
const MAX_APPEND_ATTEMPTS = 3;

/**
 * EventStore on EventStoreDB (gRPC client 6.x).
 *
 * SINGLE-WRITER ASSUMPTION: the hash chain is computed in this process, under a process-local mutex, from
 * the head this process has read. Two processes appending to the same namespace at the same time could
 * both link to the same previous hash; the server cannot stop it (its optimistic concurrency is per
 * stream, the chain is global). Run one writer per namespace; readers and subscribers may be many. Within
 * that assumption every append also sends an explicit expected revision (never ANY), so the server's own
 * dedupe by event id is guaranteed, and a writer we did not see is still caught as a version conflict.
 */
export function createEventStoreDbEventStore(options: EventStoreDbEventStoreOptions): EventStore {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  assertNamespace(namespace);
  return createEventStoreOnClient(EventStoreDBClient.connectionString(options.connectionString), {
    namespace,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** The adapter over a client it owns (close() disposes it). */
export function createEventStoreOnClient(
  client: EsdbClient,
  options: { readonly namespace?: string; readonly clock?: Clock } = {},
): EventStore {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  assertNamespace(namespace);
  const clock = options.clock ?? systemClock;
  const mutex = new Mutex();
  const index = new LogIndex(client, namespace);
  const subscriptions = new Set<PollingSubscription>();
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new StoreClosedError();
  };

  /** One attempt, under the mutex: catch up, check, link the chain, write with an explicit revision. */
  async function appendOnce(
    streamId: string,
    events: readonly EventToAppend[],
    hashes: readonly string[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult | "retry"> {
    await index.catchUp();
    const replay = index.replayOrReject(streamId, events, hashes);
    if (replay !== undefined) return replay;
    const current = index.revisionOf(streamId);
    if (!revisionMatches(expectedRevision, current)) {
      throw new ExpectedVersionConflictError(streamId, expectedRevision, current);
    }
    const recordedAt = clock();
    let prevHash = index.head.hash;
    const esdbEvents = events.map((event, i) => {
      const hash = eventChainHash(prevHash, streamId, current + i + 1, event);
      const metadata = envelopeMetadata({
        eventId: event.eventId,
        streamId,
        schemaVersion: event.schemaVersion,
        metadata: event.metadata,
        contentHash: hashes[i] as string,
        prevHash,
        hash,
        recordedAt,
      });
      prevHash = hash;
      return jsonEvent({
        id: eventUuid(namespace, event.eventId),
        type: event.type,
        data: event.data,
        metadata,
      });
    });
    // Always an explicit revision (ours, read just now), never ANY: only then does the server guarantee
    // that a retried batch is deduplicated by event id, and a writer we did not see shows up as a conflict.
    const esdbExpected = current === 0 ? NO_STREAM : BigInt(current - 1);
    let written: bigint;
    try {
      const result = await client.appendToStream(esdbStreamName(namespace, streamId), esdbEvents, {
        expectedRevision: esdbExpected,
      });
      written = result.nextExpectedRevision;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        if (expectedRevision === NO_CONCURRENCY_CHECK) return "retry";
        const actual = error.actualVersion === NO_STREAM ? 0 : streamPositionOf(error.actualVersion);
        throw new ExpectedVersionConflictError(streamId, expectedRevision, actual);
      }
      if (error instanceof MaxAppendSizeExceededError) {
        throw new InvalidAppendError(
          "events",
          `exceed the server's maximum append size (${error.maxAppendSize} bytes); split the batch`,
        );
      }
      throw error;
    }
    await index.catchUp();
    if (streamPositionOf(written) !== current + events.length) {
      // The server acknowledged without writing: it already had these UUIDs at this revision (a writer we
      // had not seen). Our index has them now; decide replay or conflict from the recorded content.
      const decided = index.replayOrReject(streamId, events, hashes);
      if (decided !== undefined) return decided;
      throw new Error(
        `stream ${streamId}: append acknowledged at revision ${written} but the events are not in $all`,
      );
    }
    const positions = events.map((event) => {
      const indexed = index.event(event.eventId);
      if (indexed === undefined || indexed.streamId !== streamId) {
        throw new Error(`stream ${streamId}: appended event ${event.eventId} is not readable from $all yet`);
      }
      return {
        eventId: event.eventId,
        streamPosition: indexed.streamPosition,
        globalPosition: indexed.globalPosition,
      };
    });
    return { nextExpectedRevision: current + events.length, positions, idempotentReplay: false };
  }

  async function append(
    streamId: string,
    offered: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    assertOpen();
    assertValidAppend(streamId, offered, expectedRevision);
    // Canonical decoding: what is hashed is exactly what is read back (keys sorted, no aliasing).
    const events: EventToAppend[] = offered.map((event) => ({
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: decodeCanonical(canonicalJson(event.data)) as JsonObject,
      metadata: decodeCanonical(canonicalJson(event.metadata)) as JsonObject,
    }));
    const hashes = events.map((event) => contentHash(streamId, event));
    const result = await mutex.run(async () => {
      for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt += 1) {
        const outcome = await appendOnce(streamId, events, hashes, expectedRevision);
        if (outcome !== "retry") return outcome;
      }
      throw new ExpectedVersionConflictError(streamId, expectedRevision, index.revisionOf(streamId));
    });
    if (!result.idempotentReplay) for (const subscription of subscriptions) subscription.wake();
    return result;
  }

  async function globalPositionFor(eventId: string): Promise<number> {
    let indexed = index.event(eventId);
    if (indexed === undefined) {
      await mutex.run(() => index.catchUp());
      indexed = index.event(eventId);
    }
    if (indexed === undefined) throw new Error(`event ${eventId} is in its stream but not yet in $all`);
    return indexed.globalPosition;
  }

  const readAll = async (readOptions: ReadAllOptions = {}) => {
    assertOpen();
    return readAllPage(client, namespace, readOptions);
  };

  return {
    append,
    /**
     * Sequential appends, each under the mutex (the fallback for adapters that cannot batch): EventStoreDB
     * has no multi-stream transaction, and the chain is linked in this process anyway. Per-item outcomes
     * are those of a batching adapter; but items written before a connection failure stay written (the call
     * rejects; a retry replays them), and another caller's append may land between two items.
     */
    async appendMany(items) {
      assertOpen();
      return appendManySequentially({ append }, items);
    },
    async readStream(streamId, readOptions = {}) {
      assertOpen();
      return readStreamEvents(client, namespace, streamId, readOptions, globalPositionFor);
    },
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
    async head() {
      assertOpen();
      return mutex.run(async () => {
        await index.catchUp();
        return index.head;
      });
    },
    async verifyChain(verifyOptions = {}) {
      assertOpen();
      return verifyChainFrom(readAll, verifyOptions.to === undefined ? {} : { to: verifyOptions.to });
    },
    async close() {
      if (closed) return;
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
      await client.dispose();
    },
  };
}
