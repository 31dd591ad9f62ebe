import { canonicalBytes, canonicalDigest, chainHash } from "@icm/events";
import type { EventToAppend } from "./types.js";

/**
 * The part of a recorded event that the chain covers. Global position and recordedAt are left out on
 * purpose: some backends (EventStoreDB) assign the global position only after the write, and the chain must
 * be computable before it. Order is still covered, because each link includes the previous hash.
 */
export function hashedContent(streamId: string, streamPosition: number, event: EventToAppend) {
  return {
    streamId,
    streamPosition,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
  };
}

export function eventChainHash(
  prevHash: string,
  streamId: string,
  streamPosition: number,
  event: EventToAppend,
): string {
  return chainHash(prevHash, canonicalBytes(hashedContent(streamId, streamPosition, event)));
}

/**
 * The idempotency key's stored hash of its input (Formance `IdempotencyHash`): what an event id stands for.
 * Covers the stream and the content, not the position, so a retry of the same write matches.
 */
export function contentHash(streamId: string, event: EventToAppend): string {
  return canonicalDigest({
    streamId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
  });
}
