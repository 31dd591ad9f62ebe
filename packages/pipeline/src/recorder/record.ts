import {
  type AppendManyItem,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  isIdempotencyConflict,
  isInvalidAppend,
  isPartialDuplicateAppend,
  MAX_APPEND_BATCH,
  NO_CONCURRENCY_CHECK,
} from "@icm/event-store";
import { type DomainEvent, type JsonObject, streamIdFor, type ValidationIssue } from "@icm/events";
import type { EventValidator } from "../ingest/validator.js";

/**
 * What happened to one input on its way into the log. `recorded` and `duplicate` are both successes (the
 * event is in the log exactly once); `poison` can never succeed and goes to dead letters; `transient` may
 * succeed if tried again later (the store was unreachable).
 */
export type RecordOutcome =
  | { readonly kind: "recorded"; readonly event: DomainEvent; readonly globalPosition: number }
  | { readonly kind: "duplicate"; readonly event: DomainEvent; readonly globalPosition: number }
  | {
      readonly kind: "poison";
      readonly reason: string;
      readonly issues?: readonly ValidationIssue[];
      readonly eventId?: string;
    }
  | { readonly kind: "transient"; readonly event: DomainEvent; readonly error: unknown };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes of a message body → JSON value, or the reason it is not one. */
export function decodeBody(
  body: Uint8Array,
): { ok: true; value: unknown } | { ok: false; reason: string; issues: ValidationIssue[] } {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return {
      ok: false,
      reason: "message body is not UTF-8",
      issues: [{ path: "$", rule: "must be UTF-8 JSON" }],
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      ok: false,
      reason: "message body is not JSON",
      issues: [{ path: "$", rule: `must be JSON: ${(error as Error).message}` }],
    };
  }
}

/** The store's view of a validated event: plain JSON data and metadata, the current schema version. */
export function toAppend(event: DomainEvent): EventToAppend {
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data as unknown as JsonObject,
    metadata: event.metadata as JsonObject,
  };
}

/**
 * Validates one raw event again (the log must never hold an event its consumers cannot read, whoever
 * published it) and appends it on its own stream. Idempotent by eventId: a redelivered or re-published event
 * comes back as `duplicate` with its original position. Never throws.
 */
export async function recordEvent(
  store: EventStore,
  raw: unknown,
  validate: EventValidator,
): Promise<RecordOutcome> {
  const parsed = validate(raw);
  if (!parsed.ok) {
    const eventId = (raw as { eventId?: unknown } | null)?.eventId;
    return {
      kind: "poison",
      reason: "event failed validation",
      issues: parsed.issues,
      ...(typeof eventId === "string" ? { eventId } : {}),
    };
  }
  const event = parsed.value;
  try {
    // Single-event appends: a PartialDuplicateAppendError cannot happen, and one bad event never blocks others.
    const result = await store.append(streamIdFor(event), [toAppend(event)], NO_CONCURRENCY_CHECK);
    return appended(event, result);
  } catch (error) {
    return refused(event, error);
  }
}

/** Events per appendMany call of recordEvents: the store's bound on one call. */
export const RECORD_CHUNK_EVENTS = MAX_APPEND_BATCH;

/**
 * recordEvent for many inputs at once, with one appendMany per RECORD_CHUNK_EVENTS valid events (one
 * transaction and one lock on the SQL store instead of one per event). Outcomes are in input order and
 * mean exactly what recordEvent's mean: each valid event is its own single-event item on its own stream, in
 * input order, so an input sees the inputs before it (a repeated event is a `duplicate`) and one refused
 * event never blocks the others. When a call fails as a whole (the store is unreachable) its events and
 * every later one are `transient`, and nothing after the failure is tried: the log keeps the input order.
 * Never throws.
 */
export async function recordEvents(
  store: EventStore,
  raws: readonly unknown[],
  validate: EventValidator,
): Promise<RecordOutcome[]> {
  const outcomes: (RecordOutcome | undefined)[] = new Array<RecordOutcome | undefined>(raws.length);
  const valid: { index: number; event: DomainEvent }[] = [];
  raws.forEach((raw, index) => {
    const parsed = validate(raw);
    if (parsed.ok) {
      valid.push({ index, event: parsed.value });
      return;
    }
    const eventId = (raw as { eventId?: unknown } | null)?.eventId;
    outcomes[index] = {
      kind: "poison",
      reason: "event failed validation",
      issues: parsed.issues,
      ...(typeof eventId === "string" ? { eventId } : {}),
    };
  });
  let failure: { error: unknown } | undefined;
  for (let start = 0; start < valid.length; start += RECORD_CHUNK_EVENTS) {
    const chunk = valid.slice(start, start + RECORD_CHUNK_EVENTS);
    if (failure === undefined) {
      const items: AppendManyItem[] = chunk.map(({ event }) => ({
        streamId: streamIdFor(event),
        events: [toAppend(event)],
        expectedRevision: NO_CONCURRENCY_CHECK,
      }));
      try {
        const results = await store.appendMany(items);
        if (results.length !== chunk.length)
          throw new Error(`store returned ${results.length} outcomes for ${chunk.length} items`);
        chunk.forEach(({ index, event }, i) => {
          const result = results[i];
          outcomes[index] =
            result === undefined
              ? unreachableOutcome()
              : result.ok
                ? appended(event, result.result)
                : refused(event, result.error);
        });
        continue;
      } catch (error) {
        failure = { error };
      }
    }
    for (const { index, event } of chunk)
      outcomes[index] = { kind: "transient", event, error: failure.error };
  }
  return outcomes.map((outcome) => outcome ?? unreachableOutcome());
}

function unreachableOutcome(): never {
  throw new Error("unreachable: an input was left without an outcome");
}

function appended(event: DomainEvent, result: AppendResult): RecordOutcome {
  const position = result.positions[0];
  if (position === undefined) throw new Error(`store returned no position for event ${event.eventId}`);
  return {
    kind: result.idempotentReplay ? "duplicate" : "recorded",
    event,
    globalPosition: position.globalPosition,
  };
}

/** A store error for one event: poison if it can never succeed, transient otherwise. */
function refused(event: DomainEvent, error: unknown): RecordOutcome {
  if (isIdempotencyConflict(error)) {
    return {
      kind: "poison",
      reason: `event id already recorded with different content: ${error.message}`,
      eventId: event.eventId,
    };
  }
  if (isInvalidAppend(error) || isPartialDuplicateAppend(error)) {
    return {
      kind: "poison",
      reason: `the store refused the event: ${error.message}`,
      eventId: event.eventId,
    };
  }
  return { kind: "transient", event, error };
}
