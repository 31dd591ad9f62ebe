import { canonicalJson, type DomainEvent } from "@icm/events";
import { ErrorCode, type JetStreamClient, type NatsError } from "nats";
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

function isRetryable(error: unknown): boolean {
  const code = (error as Partial<NatsError>).code;
  // A timeout or "no responders" (stream leader briefly unavailable) may succeed on retry; anything else
  // (stream full, message too large, wrong subject) will not.
  return (
    code === ErrorCode.Timeout ||
    code === ErrorCode.NoResponders ||
    code === ErrorCode.JetStream408RequestTimeout
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function publishOne(
  js: JetStreamClient,
  topology: NatsTopology,
  event: DomainEvent,
  options: Required<PublishOptions>,
): Promise<PublishedEvent> {
  const subject = eventSubject(topology, event.type);
  const body = encodeEvent(event);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const ack = await js.publish(subject, body, { msgID: event.eventId, timeout: options.ackTimeoutMs });
      return { eventId: event.eventId, seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (attempt >= options.maxAttempts || !isRetryable(error))
        throw new PublishError(event.eventId, attempt, error);
      await sleep(options.retryDelayMs * attempt);
    }
  }
}

/**
 * Publishes events with Nats-Msg-Id = eventId and resolves only when every publish is acknowledged by the
 * stream (stored or recognised as a duplicate). Publishes are issued in input order, at most maxInFlight
 * unacknowledged at once; only a retried publish can land out of order. Rejects with PublishError for the
 * first event that could not be stored; events before it may already be stored (a retry of the whole batch
 * is safe: they come back as duplicates).
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
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < events.length && failure === undefined) {
      const index = next;
      next += 1;
      const event = events[index] as DomainEvent;
      try {
        published[index] = await publishOne(js, topology, event, settings);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(settings.maxInFlight, events.length); w += 1) workers.push(worker());
  await Promise.all(workers);
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
