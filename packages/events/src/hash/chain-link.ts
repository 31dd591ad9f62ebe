import { canonicalJson, type JsonObject } from "../canonical/canonical-json.js";
import { chainHashOfText } from "./sha256.js";

/** What a chain link covers: stream id and position, event id, type, schema version, data and metadata. */
export interface ChainedEvent {
  readonly streamId: string;
  readonly streamPosition: number;
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

/** The exact texts a store decoded an event's data and metadata from. */
export interface StoredTexts {
  readonly data: string;
  readonly metadata: string;
}

/**
 * Module-private, so the only way to attach texts is attachStoredTexts: a caller promises there that the
 * event's data and metadata ARE the parse of these texts. Not enumerable, so equality, spreading and
 * serialisation of the event never see it.
 */
const STORED_TEXTS = Symbol("icm.storedTexts");

/**
 * Marks an event as decoded from these exact stored texts (`data` = JSON.parse(dataText), same for
 * metadata), so that its chain link can be checked over the stored bytes instead of a re-encoding of the
 * decoded objects (recordedChainHash). Only a store's read path may call this, right where it parses.
 */
export function attachStoredTexts<T extends object>(event: T, dataText: string, metadataText: string): T {
  Object.defineProperty(event, STORED_TEXTS, { value: { data: dataText, metadata: metadataText } });
  return event;
}

export function storedTextsOf(event: object): StoredTexts | undefined {
  return (event as { [STORED_TEXTS]?: StoredTexts })[STORED_TEXTS];
}

/**
 * canonicalJson of the chained content, given data and metadata as canonical JSON text: the keys in UTF-16
 * order spelled out (a law in chain-link.unit.spec.ts pins it to canonicalJson byte for byte).
 */
export function chainEntryText(
  event: Omit<ChainedEvent, "data" | "metadata">,
  dataText: string,
  metadataText: string,
): string {
  return (
    `{"data":${dataText},"eventId":${canonicalJson(event.eventId)},"metadata":${metadataText},` +
    `"schemaVersion":${canonicalJson(event.schemaVersion)},"streamId":${canonicalJson(event.streamId)},` +
    `"streamPosition":${canonicalJson(event.streamPosition)},"type":${canonicalJson(event.type)}}`
  );
}

/** Exactly the fields a chain link covers, and no other field the event carries. */
export function chainedContent(event: ChainedEvent): ChainedEvent {
  return {
    streamId: event.streamId,
    streamPosition: event.streamPosition,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
  };
}

function chainedContentText(event: ChainedEvent): string {
  return canonicalJson(chainedContent(event));
}

/**
 * The link a verifier recomputes for a recorded event whose stored hash is `recordedHash`:
 * SHA-256(prevHash ‖ canonical bytes of the chained content).
 *
 * When the store attached the texts it decoded the event from, the link is first computed over those bytes
 * (a SQL store writes canonical text and hashes exactly it): re-encoding the decoded objects was two thirds
 * of a verify's chain work. If that does not give the recorded hash, the canonical re-encoding decides, so
 * a stored text that differs from the canonical one only in form (key order, spacing) verifies as before.
 * The one case the text path accepts that the re-encoding would not is a link its writer computed over
 * non-canonical bytes; no writer of ours does (appends hash the canonical text they store).
 */
export function recordedChainHash(prevHash: string, event: ChainedEvent, recordedHash: string): string {
  const texts = storedTextsOf(event);
  if (texts !== undefined) {
    const overStored = chainHashOfText(prevHash, chainEntryText(event, texts.data, texts.metadata));
    if (overStored === recordedHash) return overStored;
  }
  return chainHashOfText(prevHash, chainedContentText(event));
}
