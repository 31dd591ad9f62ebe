import { canonicalDigest, canonicalJson, chainEntryText, chainHashOfText, sha256Hex } from "@icm/events";
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
  // The canonical text hashed as is: the same bytes as canonicalBytes, without the copy (chainHashOfText).
  return chainHashOfText(prevHash, canonicalJson(hashedContent(streamId, streamPosition, event)));
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

/**
 * The same two hashes from data and metadata that are already canonical JSON text. The SQL store encodes
 * them once for storage; re-encoding the objects for each hash was half of the append path's canonical
 * JSON work. The wrappers below spell out canonicalJson's output for these fixed key sets (keys in UTF-16
 * order); a law in hashing.unit.spec.ts proves they equal contentHash and eventChainHash byte for byte.
 */
export function contentHashFromText(
  streamId: string,
  event: Pick<EventToAppend, "type" | "schemaVersion">,
  dataText: string,
  metadataText: string,
): string {
  return sha256Hex(
    `{"data":${dataText},"metadata":${metadataText},"schemaVersion":${canonicalJson(event.schemaVersion)},` +
      `"streamId":${canonicalJson(streamId)},"type":${canonicalJson(event.type)}}`,
  );
}

export function eventChainHashFromText(
  prevHash: string,
  streamId: string,
  streamPosition: number,
  event: Pick<EventToAppend, "eventId" | "type" | "schemaVersion">,
  dataText: string,
  metadataText: string,
): string {
  return chainHashOfText(
    prevHash,
    chainEntryText(
      {
        streamId,
        streamPosition,
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
      },
      dataText,
      metadataText,
    ),
  );
}
