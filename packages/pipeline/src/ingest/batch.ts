import { canonicalJson, type DomainEvent, type ValidationIssue } from "@icm/events";
import { arrayItemTexts, memberValueStart } from "./raw-json.js";
import type { EventValidator } from "./validator.js";

/** One item of a request body: its exact source text and its parsed value. */
export interface RawItem {
  readonly text: string;
  readonly value: unknown;
}

/** How the events were sent: one event object, a JSON array, or `{ "events": [...] }`. */
export type BodyShape = "single" | "array" | "envelope";

export type ReadBodyResult =
  | { readonly ok: true; readonly shape: BodyShape; readonly items: readonly RawItem[] }
  | { readonly ok: false; readonly message: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Splits a request body into items, keeping each item's verbatim text for the dead-letter store. */
export function readBody(text: string): ReadBodyResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `body is not JSON: ${(error as Error).message}` };
  }
  if (Array.isArray(parsed)) {
    const texts = arrayItemTexts(text);
    return {
      ok: true,
      shape: "array",
      items: parsed.map((value, i) => ({ text: texts[i] ?? JSON.stringify(value), value })),
    };
  }
  if (
    isPlainObject(parsed) &&
    Array.isArray(parsed.events) &&
    !("type" in parsed) &&
    !("eventId" in parsed)
  ) {
    const start = memberValueStart(text, "events");
    const texts = start === undefined ? [] : arrayItemTexts(text, start);
    const events: unknown[] = parsed.events;
    return {
      ok: true,
      shape: "envelope",
      items: events.map((value, i) => ({ text: texts[i] ?? JSON.stringify(value), value })),
    };
  }
  return { ok: true, shape: "single", items: [{ text, value: parsed }] };
}

export interface InvalidItem {
  /** 0-based position in the batch (0 for a single event). */
  readonly index: number;
  readonly eventId?: string;
  readonly issues: readonly ValidationIssue[];
}

export type BatchValidation =
  | { readonly ok: true; readonly events: readonly DomainEvent[] }
  | { readonly ok: false; readonly invalid: readonly InvalidItem[] };

function claimedEventId(value: unknown): string | undefined {
  return isPlainObject(value) && typeof value.eventId === "string" ? value.eventId : undefined;
}

/**
 * Validates every item. A batch is all or nothing: one invalid item makes the whole batch invalid, and
 * every invalid item is reported (not only the first). An eventId used twice in one batch with different
 * content is invalid too: the stream would keep the first and silently acknowledge the second.
 */
export function validateBatch(items: readonly RawItem[], validate: EventValidator): BatchValidation {
  const invalid: InvalidItem[] = [];
  const events: DomainEvent[] = [];
  // Canonical text is computed only for an id that repeats: encoding every event here (as this once did)
  // was a quarter of the edge's canonical-JSON cost, for a case that almost never happens.
  const seen = new Map<string, { index: number; event: DomainEvent; canonical?: string }>();
  items.forEach((item, index) => {
    const result = validate(item.value);
    const eventId = claimedEventId(item.value);
    if (!result.ok) {
      invalid.push(
        eventId === undefined ? { index, issues: result.issues } : { index, eventId, issues: result.issues },
      );
      return;
    }
    const earlier = seen.get(result.value.eventId);
    if (earlier) earlier.canonical ??= canonicalJson(earlier.event);
    if (earlier && earlier.canonical !== canonicalJson(result.value)) {
      invalid.push({
        index,
        eventId: result.value.eventId,
        issues: [
          { path: "eventId", rule: `repeats the eventId of item ${earlier.index} with different content` },
        ],
      });
      return;
    }
    if (!earlier) seen.set(result.value.eventId, { index, event: result.value });
    events.push(result.value);
  });
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, events };
}

/** Adds the request's correlation id to an event's metadata unless the sender already set one. */
export function withCorrelationId(event: DomainEvent, correlationId: string): DomainEvent {
  if (event.metadata.correlationId !== undefined) return event;
  return { ...event, metadata: { ...event.metadata, correlationId } } as DomainEvent;
}

/** One line for logs and dead-letter reasons: "data.amount: must be ...; type: unknown ...". */
export function summarizeIssues(issues: readonly ValidationIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `${i.path}: ${i.rule}`);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown.join("; ");
}
