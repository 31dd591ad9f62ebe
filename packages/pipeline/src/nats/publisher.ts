import type { DomainEvent } from "@icm/events";
import {
  createInbox,
  ErrorCode,
  headers,
  type JetStreamClient,
  type Msg,
  type NatsConnection,
  NatsError,
} from "nats";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_MESSAGE_EVENTS,
  messagesOf,
  type OutgoingMessage,
} from "./message.js";
import type { NatsTopology } from "./topology.js";

export interface PublishOptions {
  /** Messages awaiting their ack at once; bounds memory and server load for big batches. */
  readonly maxInFlight?: number;
  /** Attempts per message when the ack times out (the same Nats-Msg-Id makes a retry safe). */
  readonly maxAttempts?: number;
  readonly ackTimeoutMs?: number;
  /** Pause before retry k is k × retryDelayMs. */
  readonly retryDelayMs?: number;
  /** Events per message (1: one message per event, the format before batches). See nats/message.ts. */
  readonly maxMessageEvents?: number;
  /** Bytes of event text per message; a single larger event still goes alone. */
  readonly maxMessageBytes?: number;
}

export const DEFAULT_PUBLISH_OPTIONS: Required<PublishOptions> = {
  maxInFlight: 256,
  maxAttempts: 3,
  ackTimeoutMs: 5_000,
  retryDelayMs: 200,
  maxMessageEvents: DEFAULT_MAX_MESSAGE_EVENTS,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
};

export interface PublishedEvent {
  readonly eventId: string;
  /**
   * Stream sequence of the stored message holding the event (for a duplicate: the sequence of the
   * original); the events of one message share it.
   */
  readonly seq: number;
  /**
   * True when the stream already had the message within its duplicate window and stored nothing: the same
   * eventId sent alone, or the same events in the same message (a retried request).
   */
  readonly duplicate: boolean;
}

export interface PublishResult {
  /** In the order of the input events. */
  readonly published: readonly PublishedEvent[];
  /** Events newly stored by this call. */
  readonly stored: number;
  /**
   * Events whose message the stream already had (inside the duplicate window): acknowledged, not stored
   * again. An event re-sent in a different message is stored by the stream and counted by the recorder,
   * whose store finds it already recorded.
   */
  readonly duplicates: number;
}

/** What the ingest server and the importer need from NATS: publish validated events, durably. */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<PublishResult>;
}

export class PublishError extends Error {
  override readonly name = "PublishError";
  constructor(
    /** The first event of the message that could not be stored. */
    readonly eventId: string,
    readonly attempts: number,
    override readonly cause: unknown,
    /** Events in that message. */
    readonly events = 1,
  ) {
    const what = events === 1 ? `event ${eventId}` : `the message of ${events} events from ${eventId}`;
    super(
      `publishing ${what} failed after ${attempts} attempt(s): ${(cause as Error)?.message ?? String(cause)}`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The core connection under a JetStream client (nats.js keeps it as `nc`), if it has one. */
function connectionOf(js: JetStreamClient): NatsConnection {
  const nc = (js as unknown as { nc?: NatsConnection }).nc;
  if (nc === undefined || typeof nc.publish !== "function" || typeof nc.subscribe !== "function")
    throw new TypeError("publishEvents needs a nats.js JetStream client (its core connection was not found)");
  return nc;
}

/** What the stream answered to one publish. */
type AckOutcome =
  | { readonly kind: "stored"; readonly seq: number; readonly duplicate: boolean }
  | { readonly kind: "failed"; readonly error: Error; readonly retryable: boolean };

/** A JetStream PubAck (`{stream, seq, duplicate?}`), an API error, or a 503 "no responders" status. */
function readAck(message: Msg): AckOutcome {
  if (message.headers?.hasError && message.headers.code === 503) {
    return { kind: "failed", error: NatsError.errorForCode(ErrorCode.NoResponders), retryable: true };
  }
  let body: {
    stream?: unknown;
    seq?: unknown;
    duplicate?: unknown;
    error?: { code?: unknown; description?: unknown };
  };
  try {
    body = JSON.parse(decoder.decode(message.data)) as typeof body;
  } catch {
    return { kind: "failed", error: new Error("the stream's publish ack is not JSON"), retryable: false };
  }
  if (body.error !== undefined) {
    // 503: JetStream is briefly without a leader for the stream; anything else (stream full, message too
    // large) will not succeed on retry.
    const retryable = body.error.code === 503;
    return { kind: "failed", error: new Error(String(body.error.description)), retryable };
  }
  if (typeof body.stream !== "string" || body.stream === "" || typeof body.seq !== "number")
    return { kind: "failed", error: new Error("invalid publish ack"), retryable: false };
  return { kind: "stored", seq: body.seq, duplicate: body.duplicate === true };
}

const decoder = new TextDecoder();

/**
 * Publishes events as messages of up to maxMessageEvents events (see nats/message.ts for the format and
 * the Nats-Msg-Id of each) and resolves only when every message is acknowledged by the stream (stored or
 * recognised as a duplicate). Messages are issued in input order, at most maxInFlight unacknowledged at
 * once; only a retried publish can land out of order. Rejects with PublishError for the first message that
 * could not be stored; messages before it may already be stored (a retry of the whole call is safe: the
 * same events are cut into the same messages, which come back as duplicates).
 *
 * All acks of one call come back on one inbox subscription (reply subject `<inbox>.<attempt token>`), and
 * the publishes of a window leave in one socket write. nats.js's `js.publish` is a request per message: a
 * subscription-mux entry, a timer, and two Error objects with stack traces (for a timeout and a
 * cancellation that almost never happen) each; that was a fifth of the ingest edge's CPU and much of its
 * garbage. The timeout is per window: when no ack at all arrived for ackTimeoutMs, every publish still
 * waiting counts as timed out and is retried (bounded by maxAttempts; the same msg id makes it safe).
 */
export async function publishEvents(
  js: JetStreamClient,
  topology: NatsTopology,
  events: readonly DomainEvent[],
  options: PublishOptions = {},
): Promise<PublishResult> {
  const settings = { ...DEFAULT_PUBLISH_OPTIONS, ...options };
  if (!(settings.maxInFlight >= 1 && settings.maxAttempts >= 1)) {
    throw new RangeError("maxInFlight and maxAttempts must be at least 1");
  }
  const published: PublishedEvent[] = new Array<PublishedEvent>(events.length);
  if (events.length === 0) return { published, stored: 0, duplicates: 0 };
  const nc = connectionOf(js);
  const messages = messagesOf(topology, events, settings);
  const inbox = createInbox();
  const attempts = new Uint8Array(messages.length);
  /** Reply token → message index, for the publishes still waiting for their ack. */
  const waiting = new Map<string, number>();
  /** Messages to publish again after a timeout or a retryable error, in input order. */
  const retries: number[] = [];
  let nextToken = 0;
  let next = 0;
  let settled = 0;
  let failure: PublishError | undefined;
  let wake: () => void = () => undefined;

  const failureOf = (message: OutgoingMessage, tried: number, error: unknown): PublishError =>
    new PublishError(
      (events[message.start] as DomainEvent).eventId,
      tried,
      error,
      message.end - message.start,
    );
  const send = (index: number): void => {
    const message = messages[index] as OutgoingMessage;
    attempts[index] = (attempts[index] ?? 0) + 1;
    const token = String(nextToken++);
    const hdrs = headers();
    hdrs.set("Nats-Msg-Id", message.msgId);
    try {
      nc.publish(message.subject, message.body, { reply: `${inbox}.${token}`, headers: hdrs });
      waiting.set(token, index);
    } catch (error) {
      // Refused before it left (message over max_payload, connection closed): retrying cannot help.
      failure ??= failureOf(message, attempts[index] ?? 1, error);
    }
  };
  /**
   * Sends until maxInFlight are waiting. Retries go out only after the pause that follows the window they
   * failed in (`withRetries`), oldest first, so a stream that is briefly away is not hammered.
   */
  const fill = (withRetries: boolean): void => {
    while (failure === undefined && waiting.size < settings.maxInFlight) {
      const retry = withRetries ? retries.shift() : undefined;
      if (retry !== undefined) send(retry);
      else if (next < messages.length) send(next++);
      else return;
    }
  };
  const fail = (index: number, error: unknown, retryable: boolean): void => {
    const tried = attempts[index] ?? 1;
    if (retryable && tried < settings.maxAttempts) retries.push(index);
    else failure ??= failureOf(messages[index] as OutgoingMessage, tried, error);
  };

  const subscription = nc.subscribe(`${inbox}.*`, {
    callback: (error, reply) => {
      if (error) return;
      const token = reply.subject.slice(inbox.length + 1);
      const index = waiting.get(token);
      if (index === undefined) return; // the ack of an attempt that already timed out
      waiting.delete(token);
      const ack = readAck(reply);
      if (ack.kind === "stored") {
        const message = messages[index] as OutgoingMessage;
        for (let i = message.start; i < message.end; i += 1) {
          published[i] = {
            eventId: (events[i] as DomainEvent).eventId,
            seq: ack.seq,
            duplicate: ack.duplicate,
          };
        }
        settled += 1;
      } else fail(index, ack.error, ack.retryable);
      wake();
    },
  });
  try {
    fill(false);
    while (failure === undefined && settled < messages.length) {
      const progressed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), settings.ackTimeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      wake = () => undefined;
      if (!progressed) {
        // Nothing came back for a whole ack timeout: everything still waiting has timed out.
        const timedOut = [...waiting.values()].sort((a, b) => a - b);
        waiting.clear();
        for (const index of timedOut) fail(index, NatsError.errorForCode(ErrorCode.Timeout), true);
      }
      const retryNow = failure === undefined && retries.length > 0 && waiting.size === 0;
      if (retryNow) {
        // Only retries are left to send: pause before them, as a client retrying a request would.
        const worst = Math.max(...retries.map((index) => attempts[index] ?? 1));
        await sleep(settings.retryDelayMs * worst);
      }
      fill(retryNow);
    }
  } finally {
    subscription.unsubscribe();
  }
  if (failure !== undefined) throw failure;
  let duplicates = 0;
  for (const item of published) if (item.duplicate) duplicates += 1;
  return { published, stored: published.length - duplicates, duplicates };
}

/** An EventPublisher bound to one JetStream client and topology. */
export function createEventPublisher(
  js: JetStreamClient,
  topology: NatsTopology,
  options: PublishOptions = {},
): EventPublisher {
  return { publish: (events) => publishEvents(js, topology, events, options) };
}
