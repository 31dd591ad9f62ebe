import {
  type CanonicalTexts,
  contentHashFromText,
  type EventToAppend,
  type ExpectedRevision,
  eventChainHashFromText,
  validAppendTexts,
} from "@icm/event-store";

/** One event of a validated batch, with the text that will be stored and its idempotency hash. */
export interface PreparedEvent {
  /**
   * The event's identity and type. Its data and metadata are only kept as the stored text: the hashes and
   * the INSERT read the text, and decoding it again here (as this once did) cost a parse per event for nothing.
   */
  readonly event: Pick<EventToAppend, "eventId" | "type" | "schemaVersion">;
  readonly dataText: string;
  readonly metadataText: string;
  readonly contentHash: string;
}

/**
 * Checks the whole batch before any I/O with the rules every adapter shares (same InvalidAppendError paths),
 * so that a bad event never leaves half a batch behind, then encodes it.
 *
 * `data` and `metadata` are stored as canonical JSON text: keys sorted, exactly the bytes the chain hash
 * covers, and exactly what the in-memory reference adapter hands back, so that every adapter returns the
 * same event for the same append (contract behaviour 22). Caller key order is not kept; canonical JSON is
 * the system's definition of "the same value".
 */
export function prepareAppend(
  streamId: string,
  events: readonly EventToAppend[],
  expectedRevision: ExpectedRevision,
): PreparedEvent[] {
  const texts = validAppendTexts(streamId, events, expectedRevision);
  return events.map((offered, index) => {
    // Encoded once, by the validation that checked they encode.
    const { dataText, metadataText } = texts[index] as CanonicalTexts;
    const event = { eventId: offered.eventId, type: offered.type, schemaVersion: offered.schemaVersion };
    return {
      event,
      dataText,
      metadataText,
      contentHash: contentHashFromText(streamId, event, dataText, metadataText),
    };
  });
}

/** The event's chain link, hashed from the text that is stored (no second encoding of data and metadata). */
export function preparedChainHash(
  prevHash: string,
  streamId: string,
  streamPosition: number,
  prepared: PreparedEvent,
): string {
  return eventChainHashFromText(
    prevHash,
    streamId,
    streamPosition,
    prepared.event,
    prepared.dataText,
    prepared.metadataText,
  );
}

/** Integers come back from drivers as number, bigint or string (int8); positions must be safe integers. */
export function toSafeInteger(value: unknown, what: string): number {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "bigint" || typeof value === "string"
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`${what}: ${String(value)} is not a safe integer`);
  return n;
}
