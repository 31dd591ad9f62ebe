import { canonicalJson, type DomainEvent } from "@icm/events";
import {
  createInbox,
  ErrorCode,
  headers,
  type JetStreamClient,
  type Msg,
  type NatsConnection,
  NatsError,
} from "nats";
import { eventSubject, type NatsTopology } from "./topology.js";

export interface PublishOptions {
  /** Publishes awaiting their ack at once; bounds memory and server load for big batches. */
  readonly maxInFlight?: number;
  /** Attempts per event when the ack times out (the same Nats-Msg-Id makes a retry safe). */
  readonly maxAttempts?: number;
  readonly ackTimeoutMs?: number;
  /** Pause before retry k is k × retryDelayMs. */
  readonly retryDelayMs?: number;
}

export const DEFAULT_PUBLISH_OPTIONS: Required<PublishOptions> = {
  maxInFlight: 256,
  maxAttempts: 3,
  ackTimeoutMs: 5_000,
  retryDelayMs: 200,
};

export interface PublishedEvent {
  readonly eventId: string;
  /** Stream sequence of the stored message (for a duplicate: the sequence of the original). */
  readonly seq: number;
  /** True when the stream already had this eventId within its duplicate window and stored nothing. */
  readonly duplicate: boolean;
}

export interface PublishResult {
  /** In the order of the input events. */
  readonly published: readonly PublishedEvent[];
  /** Events newly stored by this call. */
  readonly stored: number;
  /** Events the stream already had (same eventId inside the duplicate window): acknowledged, not stored again. */
  readonly duplicates: number;
}

/** What the ingest server and the importer need from NATS: publish validated events, durably. */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<PublishResult>;
}

/** Message body on the wire: the canonical JSON of the validated, upcast event. */
export function encodeEvent(event: DomainEvent): Uint8Array {
  return new TextEncoder().encode(canonicalJson(event));
}

export class PublishError extends Error {
  override readonly name = "PublishError";
  constructor(
    readonly eventId: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `publishing event ${eventId} failed after ${attempts} attempt(s): ${(cause as Error)?.message ?? String(cause)}`,
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
 * Publishes events with Nats-Msg-Id = eventId and resolves only when every publish is acknowledged by the
 * stream (stored or recognised as a duplicate). Publishes are issued in input order, at most maxInFlight
 * unacknowledged at once; only a retried publish can land out of order. Rejects with PublishError for the
 * first event that could not be stored; events before it may already be stored (a retry of the whole batch
 * is safe: they come back as duplicates).
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
  const inbox = createInbox();
  const attempts = new Uint8Array(events.length);
  /** Reply token → event index, for the publishes still waiting for their ack. */
  const waiting = new Map<string, number>();
  /** Events to publish again after a timeout or a retryable error, in input order. */
  const retries: number[] = [];
  let nextToken = 0;
  let next = 0;
  let settled = 0;
  let failure: PublishError | undefined;
  let wake: () => void = () => undefined;

  const bodies = new Array<Uint8Array | undefined>(events.length);
  const send = (index: number): void => {
    const event = events[index] as DomainEvent;
    attempts[index] = (attempts[index] ?? 0) + 1;
    const token = String(nextToken++);
    const hdrs = headers();
    hdrs.set("Nats-Msg-Id", event.eventId);
    let body = bodies[index];
    if (body === undefined) {
      body = encodeEvent(event);
      bodies[index] = body;
    }
    try {
      nc.publish(eventSubject(topology, event.type), body, { reply: `${inbox}.${token}`, headers: hdrs });
      waiting.set(token, index);
    } catch (error) {
      // Refused before it left (message over max_payload, connection closed): retrying cannot help.
      failure ??= new PublishError(event.eventId, attempts[index] ?? 1, error);
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
      else if (next < events.length) send(next++);
      else return;
    }
  };
  const fail = (index: number, error: unknown, retryable: boolean): void => {
    const event = events[index] as DomainEvent;
    const tried = attempts[index] ?? 1;
    if (retryable && tried < settings.maxAttempts) retries.push(index);
    else failure ??= new PublishError(event.eventId, tried, error);
  };

  const subscription = nc.subscribe(`${inbox}.*`, {
    callback: (error, message) => {
      if (error) return;
      const token = message.subject.slice(inbox.length + 1);
      const index = waiting.get(token);
      if (index === undefined) return; // the ack of an attempt that already timed out
      waiting.delete(token);
      const ack = readAck(message);
      if (ack.kind === "stored") {
        published[index] = {
          eventId: (events[index] as DomainEvent).eventId,
          seq: ack.seq,
          duplicate: ack.duplicate,
        };
        settled += 1;
      } else fail(index, ack.error, ack.retryable);
      wake();
    },
  });
  try {
    fill(false);
    while (failure === undefined && settled < events.length) {
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
