import type { RecordedEvent } from "@icm/event-store";
import { canonicalJson, decodeCanonical, type JsonObject } from "@icm/events";

/**
 * What we keep in an EventStoreDB event's metadata, next to the caller's metadata: the original event id
 * (the ESDB id is a derived UUID), the schema version, the stream id (without the namespace prefix), the
 * idempotency content hash, the chain link and recordedAt. The chain is computed client-side, before the
 * write, because the server knows nothing of it.
 */
export interface StoredEnvelope {
  readonly eventId: string;
  readonly streamId: string;
  readonly schemaVersion: number;
  readonly metadata: JsonObject;
  readonly contentHash: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly recordedAt: string;
}

/** Key of our envelope inside the ESDB metadata object; events without it are not ours. */
export const ENVELOPE_KEY = "icm";

export function envelopeMetadata(envelope: StoredEnvelope): JsonObject {
  return { [ENVELOPE_KEY]: { ...envelope } };
}

/** The parts of an ESDB recorded event we read; kept structural so that tests need no server. */
export interface EsdbEventLike {
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  readonly isJson: boolean;
  readonly data: unknown;
  readonly metadata: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/** Our envelope from an ESDB event, or undefined when the event is not one of ours (system or foreign). */
export function readEnvelope(event: EsdbEventLike, namespace: string): StoredEnvelope | undefined {
  if (!event.isJson || !event.streamId.startsWith(`${namespace}:`) || !isObject(event.metadata))
    return undefined;
  const raw = event.metadata[ENVELOPE_KEY];
  if (!isObject(raw)) return undefined;
  const text = (key: string): string => {
    const value = raw[key];
    if (typeof value !== "string")
      throw new Error(`event ${event.streamId}@${event.revision}: envelope ${key} is not a string`);
    return value;
  };
  const schemaVersion = raw.schemaVersion;
  if (typeof schemaVersion !== "number" || !Number.isSafeInteger(schemaVersion)) {
    throw new Error(`event ${event.streamId}@${event.revision}: envelope schemaVersion is not an integer`);
  }
  if (!isObject(raw.metadata))
    throw new Error(`event ${event.streamId}@${event.revision}: envelope metadata is not an object`);
  return {
    eventId: text("eventId"),
    streamId: text("streamId"),
    schemaVersion,
    metadata: decodeCanonical(canonicalJson(raw.metadata)) as JsonObject,
    contentHash: text("contentHash"),
    prevHash: text("prevHash"),
    hash: text("hash"),
    recordedAt: text("recordedAt"),
  };
}

/** ESDB revisions count from 0; ours from 1 (an empty stream is at revision 0, its k-th event at k). */
export function streamPositionOf(revision: bigint): number {
  const position = Number(revision) + 1;
  if (!Number.isSafeInteger(position) || position < 1)
    throw new Error(`revision ${revision} is out of range`);
  return position;
}

/** Global positions are $all commit positions; they must fit a safe integer to cross our interface. */
export function globalPositionOf(commit: bigint): number {
  const position = Number(commit);
  if (!Number.isSafeInteger(position) || position < 0 || BigInt(position) !== commit) {
    throw new Error(`$all commit position ${commit} does not fit a safe integer`);
  }
  // Position 0 is our "before everything" checkpoint; the first ESDB record is never at 0 in practice,
  // but if it were, the exclusive checkpoint 0 would hide it, so refuse rather than skip silently.
  if (position === 0) throw new Error("$all commit position 0 collides with the start checkpoint");
  return position;
}

/**
 * Our global position of an $all record. Resuming from a number only works if commit = prepare for every
 * record (true of events written through gRPC appends since v20, each event being its own log record);
 * a record where they differ would make "after N" ambiguous, so it is refused loudly rather than skipped.
 */
export function globalPositionOfRecord(position: {
  readonly commit: bigint;
  readonly prepare: bigint;
}): number {
  if (position.commit !== position.prepare) {
    throw new Error(
      `$all record at commit ${position.commit} has prepare ${position.prepare}; positions must coincide`,
    );
  }
  return globalPositionOf(position.commit);
}

export function toRecordedEvent(
  event: EsdbEventLike,
  envelope: StoredEnvelope,
  globalPosition: number,
): RecordedEvent {
  if (!isObject(event.data))
    throw new Error(`event ${event.streamId}@${event.revision}: data is not a JSON object`);
  return {
    eventId: envelope.eventId,
    type: event.type,
    schemaVersion: envelope.schemaVersion,
    data: decodeCanonical(canonicalJson(event.data)) as JsonObject,
    metadata: envelope.metadata,
    streamId: envelope.streamId,
    streamPosition: streamPositionOf(event.revision),
    globalPosition,
    prevHash: envelope.prevHash,
    hash: envelope.hash,
    recordedAt: envelope.recordedAt,
  };
}
