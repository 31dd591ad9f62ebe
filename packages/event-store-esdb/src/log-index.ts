import { type AllStreamResolvedEvent, FORWARDS } from "@eventstore/db-client";
import {
  type AppendResult,
  type ChainHead,
  type EventToAppend,
  type IdempotencyConflictDetail,
  IdempotencyConflictError,
  PartialDuplicateAppendError,
} from "@icm/event-store";
import { GENESIS_HASH } from "@icm/events";
import { globalPositionOfRecord, readEnvelope, streamPositionOf } from "./envelope.js";
import { allFrom, drain, type EsdbClient } from "./esdb-io.js";

/** Raw $all records read per catch-up request (bounded; the catch-up loops until the end). */
const CATCH_UP_PAGE = 1_000;
/** Bound on catch-up pages in one call, so a broken server cannot keep us looping for ever. */
const MAX_CATCH_UP_PAGES = 1_000_000;

export interface IndexedEvent {
  readonly streamId: string;
  readonly streamPosition: number;
  readonly globalPosition: number;
  readonly contentHash: string;
}

/**
 * What this process knows of its namespace: chain head, stream revisions and every event id with its
 * content hash. Rebuilt from $all on first use and advanced incrementally (catchUp) before every append
 * and every read that needs it. Memory grows with the number of events (one entry per event id): the price
 * of idempotency by event id across streams, which EventStoreDB does not index.
 */
export class LogIndex {
  /** Last $all commit position scanned (0 = nothing yet). */
  private scannedThrough = 0;
  head: ChainHead = { globalPosition: 0, hash: GENESIS_HASH };
  private readonly byEventId = new Map<string, IndexedEvent>();
  private readonly revisions = new Map<string, number>();

  constructor(
    private readonly client: EsdbClient,
    private readonly namespace: string,
  ) {}

  revisionOf(streamId: string): number {
    return this.revisions.get(streamId) ?? 0;
  }

  event(eventId: string): IndexedEvent | undefined {
    return this.byEventId.get(eventId);
  }

  /** Scans $all after what was seen and indexes every event of the namespace. Run under the store mutex. */
  async catchUp(): Promise<void> {
    for (let pages = 0; pages < MAX_CATCH_UP_PAGES; pages += 1) {
      const after = this.scannedThrough;
      let scanned = 0;
      await drain(
        this.client.readAll({
          fromPosition: allFrom(after),
          direction: FORWARDS,
          maxCount: BigInt(CATCH_UP_PAGE),
        }),
        (resolved: AllStreamResolvedEvent) => {
          const event = resolved.event;
          if (event === undefined) return;
          const globalPosition = globalPositionOfRecord(event.position);
          if (globalPosition <= after) return;
          scanned += 1;
          this.scannedThrough = globalPosition;
          const envelope = readEnvelope(event, this.namespace);
          if (envelope === undefined) return;
          const streamPosition = streamPositionOf(event.revision);
          this.byEventId.set(envelope.eventId, {
            streamId: envelope.streamId,
            streamPosition,
            globalPosition,
            contentHash: envelope.contentHash,
          });
          this.revisions.set(envelope.streamId, streamPosition);
          this.head = { globalPosition, hash: envelope.hash };
        },
      );
      if (scanned === 0) return;
    }
    throw new Error(`catch-up read more than ${MAX_CATCH_UP_PAGES} pages of $all`);
  }

  /**
   * Idempotency by event id, checked before the revision (as on every adapter): undefined when no id is
   * known; the original positions when all are known with the same content; otherwise the typed error.
   */
  replayOrReject(
    streamId: string,
    events: readonly EventToAppend[],
    hashes: readonly string[],
  ): AppendResult | undefined {
    const conflicts: IdempotencyConflictDetail[] = [];
    const recorded: IndexedEvent[] = [];
    const recordedIds: string[] = [];
    const fresh: string[] = [];
    events.forEach((event, i) => {
      const existing = this.byEventId.get(event.eventId);
      if (existing === undefined) {
        fresh.push(event.eventId);
        return;
      }
      recorded.push(existing);
      recordedIds.push(event.eventId);
      const offeredHash = hashes[i] as string;
      if (existing.contentHash !== offeredHash) {
        conflicts.push({
          eventId: event.eventId,
          existingHash: existing.contentHash,
          existingStreamId: existing.streamId,
          existingStreamPosition: existing.streamPosition,
          offeredHash,
          offeredStreamId: streamId,
        });
      }
    });
    if (conflicts.length > 0) throw new IdempotencyConflictError(conflicts);
    if (recorded.length === 0) return undefined;
    if (fresh.length > 0) throw new PartialDuplicateAppendError(streamId, recordedIds, fresh);
    return {
      nextExpectedRevision: this.revisionOf(streamId),
      idempotentReplay: true,
      positions: recorded.map((indexed, i) => ({
        eventId: (events[i] as EventToAppend).eventId,
        streamPosition: indexed.streamPosition,
        globalPosition: indexed.globalPosition,
      })),
    };
  }
}
