import { canonicalJson, type DomainEvent, sha256Hex } from "@icm/events";
import type { JetStreamManager } from "nats";
import { eventSubject, type NatsTopology } from "./topology.js";

/**
 * The events stream's message format. A message is one event (its canonical JSON, on
 * `<prefix>.<Type>`, `Nats-Msg-Id` = its eventId) or several events (a JSON array of their canonical
 * JSON, on `<prefix>.batch`, `Nats-Msg-Id` = batchMsgId of their ids). One message per event cost
 * NATS ~45 µs of CPU per event in publish, store, delivery and ack; a message per 100 events, ~3 µs
 * (docs/benchmarks.md, round 10). Recorders read both forms, so messages already in the stream and
 * publishers not yet upgraded keep working.
 */

/** Subject token of a message holding several events (event types are PascalCase: never "batch"). */
export const BATCH_SUBJECT_TOKEN = "batch";

/** Most events in one message: the recorder's groups are bounded in events, and a message is never split. */
export const DEFAULT_MAX_MESSAGE_EVENTS = 100;

/**
 * Most bytes of events in one message. Half the stream's 1 MiB message limit, so a message of many events
 * is never refused for its size; a single event larger than this still travels alone (the ingest edge
 * bounds one event at 256 KiB).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024;

export function batchSubject(topology: NatsTopology): string {
  return `${topology.subjectPrefix}.${BATCH_SUBJECT_TOKEN}`;
}

/**
 * The Nats-Msg-Id of a message of several events: a hash of their ids in order. The same request sent
 * again is cut into the same messages, so the stream deduplicates each as a whole (as it deduplicated
 * each event by id before); an event sent again in a different message is stored by NATS and then found
 * by the event store's idempotency (the recorder counts it as a duplicate).
 */
export function batchMsgId(eventIds: readonly string[]): string {
  return `batch-${sha256Hex(eventIds.join("\n"))}`;
}

/** One message to publish: the events [start, end) of the input. */
export interface OutgoingMessage {
  readonly start: number;
  readonly end: number;
  readonly subject: string;
  readonly msgId: string;
  readonly body: Uint8Array;
}

export interface MessageBounds {
  readonly maxMessageEvents: number;
  readonly maxMessageBytes: number;
}

const encoder = new TextEncoder();

/**
 * Cuts events, in order, into messages of at most maxMessageEvents events and maxMessageBytes bytes of
 * event text (a single event over the byte bound goes alone). Deterministic: the same events give the
 * same messages, so a retried request is deduplicated message by message.
 */
export function messagesOf(
  topology: NatsTopology,
  events: readonly DomainEvent[],
  bounds: MessageBounds,
): OutgoingMessage[] {
  if (!(bounds.maxMessageEvents >= 1 && bounds.maxMessageBytes >= 1))
    throw new RangeError("maxMessageEvents and maxMessageBytes must be at least 1");
  const messages: OutgoingMessage[] = [];
  let start = 0;
  let texts: string[] = [];
  let bytes = 0;
  const flush = (end: number) => {
    if (texts.length === 0) return;
    if (texts.length === 1) {
      const event = events[start] as DomainEvent;
      messages.push({
        start,
        end,
        subject: eventSubject(topology, event.type),
        msgId: event.eventId,
        body: encoder.encode(texts[0]),
      });
    } else {
      const ids = events.slice(start, end).map((event) => event.eventId);
      messages.push({
        start,
        end,
        subject: batchSubject(topology),
        msgId: batchMsgId(ids),
        body: encoder.encode(`[${texts.join(",")}]`),
      });
    }
    start = end;
    texts = [];
    bytes = 0;
  };
  for (let i = 0; i < events.length; i += 1) {
    const text = canonicalJson(events[i] as DomainEvent);
    const size = Buffer.byteLength(text) + 1; // and its comma
    if (
      texts.length >= bounds.maxMessageEvents ||
      (texts.length > 0 && bytes + size > bounds.maxMessageBytes)
    )
      flush(i);
    texts.push(text);
    bytes += size;
  }
  flush(events.length);
  return messages;
}

const decoder = new TextDecoder();

/** The events of a stored message body, as JSON values: one, or the items of its array. Throws if not JSON. */
export function eventsOfMessage(body: Uint8Array): unknown[] {
  const value: unknown = JSON.parse(decoder.decode(body));
  return Array.isArray(value) ? value : [value];
}

/**
 * Every event in the events stream, in stream order, read one message at a time (for tools and tests:
 * not a consumer, so nothing is acknowledged or changed).
 */
export async function readStreamEvents(jsm: JetStreamManager, topology: NatsTopology): Promise<unknown[]> {
  const { state } = await jsm.streams.info(topology.streamName);
  const events: unknown[] = [];
  if (state.messages === 0) return events;
  for (let seq = state.first_seq; seq <= state.last_seq; seq += 1) {
    const message = await jsm.streams.getMessage(topology.streamName, { seq }).catch((error: unknown) => {
      // A deleted message leaves a gap in the sequence (10037: no message found); anything else is an error.
      if ((error as { api_error?: { err_code?: number } }).api_error?.err_code === 10037) return undefined;
      throw error;
    });
    if (message !== undefined) events.push(...eventsOfMessage(message.data));
  }
  return events;
}
