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

/** The outcome of an input that is not a valid event: poison, naming the event id when it claims one. */
function invalidOutcome(raw: unknown, issues: ValidationIssue[]): RecordOutcome {
  const eventId = (raw as { eventId?: unknown } | null)?.eventId;
  return {
    kind: "poison",
    reason: "event failed validation",
    issues,
    ...(typeof eventId === "string" ? { eventId } : {}),
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
  if (!parsed.ok) return invalidOutcome(raw, parsed.issues);
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
 * Inputs checked and shaped for the store, in input order, before any I/O: the first half of
 * recordEvents, split off so that a caller can prepare the next inputs while earlier ones are appended
 * (the recorder's pipeline). Fill it with validateInput / refuseInput, then hand it to appendValidated.
 */
export interface ValidatedInputs {
  /** Per input: its outcome when it was decided without the store (poison), else undefined. */
  readonly outcomes: (RecordOutcome | undefined)[];
  /** The valid events in input order, each with its input index. */
  readonly valid: { readonly index: number; readonly event: DomainEvent }[];
  /** `valid`'s appendMany items (same order), built here so the append path does no per-event shaping. */
  readonly items: AppendManyItem[];
}

/** `inputCount` when known; the inputs grow as they are added otherwise (a group of batch messages). */
export function validatedInputs(inputCount = 0): ValidatedInputs {
  return { outcomes: new Array<RecordOutcome | undefined>(inputCount), valid: [], items: [] };
}

/** Makes room for input `index` in `outcomes`, whose length is the number of inputs. */
function reserve(into: ValidatedInputs, index: number): void {
  if (into.outcomes.length <= index) into.outcomes.length = index + 1;
}

/**
 * Validates input `index` (inputs must be added in increasing index order: that is the log order) and
 * records either its appendMany item or its poison outcome. Never throws.
 */
export function validateInput(
  into: ValidatedInputs,
  index: number,
  raw: unknown,
  validate: EventValidator,
): void {
  reserve(into, index);
  const parsed = validate(raw);
  if (!parsed.ok) {
    into.outcomes[index] = invalidOutcome(raw, parsed.issues);
    return;
  }
  const event = parsed.value;
  into.valid.push({ index, event });
  // Each valid event is its own single-event item on its own stream: one refused event never blocks others.
  into.items.push({
    streamId: streamIdFor(event),
    events: [toAppend(event)],
    expectedRevision: NO_CONCURRENCY_CHECK,
  });
}

/** Marks input `index` as refused before validation (e.g. a message body that is not JSON). */
export function refuseInput(into: ValidatedInputs, index: number, outcome: RecordOutcome): void {
  reserve(into, index);
  into.outcomes[index] = outcome;
}

/**
 * The outcomes of inputs that were never appended (a group handed back on stop): each valid event is
 * `transient` with `error`, each refused input keeps its poison outcome.
 */
export function notAppended(inputs: ValidatedInputs, error: unknown): RecordOutcome[] {
  const outcomes = [...inputs.outcomes];
  for (const { index, event } of inputs.valid) outcomes[index] = { kind: "transient", event, error };
  return outcomes.map((outcome) => outcome ?? unreachableOutcome());
}

/**
 * The second half of recordEvents: one appendMany per RECORD_CHUNK_EVENTS valid events, outcomes in input
 * order. When a call fails as a whole (the store is unreachable) its events and every later one are
 * `transient`, and nothing after the failure is tried: the log keeps the input order. Never throws.
 */
export async function appendValidated(store: EventStore, inputs: ValidatedInputs): Promise<RecordOutcome[]> {
  const { outcomes, valid, items } = inputs;
  let failure: { error: unknown } | undefined;
  for (let start = 0; start < valid.length; start += RECORD_CHUNK_EVENTS) {
    const end = Math.min(valid.length, start + RECORD_CHUNK_EVENTS);
    if (failure === undefined) {
      try {
        // The recorder's groups are always one chunk: hand the items over without copying them.
        const results = await store.appendMany(
          start === 0 && end === items.length ? items : items.slice(start, end),
        );
        if (results.length !== end - start)
          throw new Error(`store returned ${results.length} outcomes for ${end - start} items`);
        for (let i = start; i < end; i += 1) {
          const { index, event } = valid[i] as (typeof valid)[number];
          const result = results[i - start];
          outcomes[index] =
            result === undefined
              ? unreachableOutcome()
              : result.ok
                ? appended(event, result.result)
                : refused(event, result.error);
        }
        continue;
      } catch (error) {
        failure = { error };
      }
    }
    for (let i = start; i < end; i += 1) {
      const { index, event } = valid[i] as (typeof valid)[number];
      outcomes[index] = { kind: "transient", event, error: failure.error };
    }
  }
  return outcomes.map((outcome) => outcome ?? unreachableOutcome());
}

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
  const inputs = validatedInputs(raws.length);
  raws.forEach((raw, index) => {
    validateInput(inputs, index, raw, validate);
  });
  return appendValidated(store, inputs);
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
