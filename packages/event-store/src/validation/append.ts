import { CanonicalEncodingError, canonicalJson } from "@icm/events";
import { InvalidAppendError } from "../port/errors.js";
import type { EventToAppend, ExpectedRevision } from "../port/types.js";
import {
  MAX_APPEND_BATCH,
  NO_CONCURRENCY_CHECK,
  STREAM_DOES_NOT_EXIST,
  STREAM_EXISTS,
} from "../port/types.js";

export const MAX_STREAM_ID_LENGTH = 200;
export const MAX_EVENT_ID_LENGTH = 200;
export const MAX_EVENT_TYPE_LENGTH = 200;

/**
 * The structural rules every adapter applies before touching its backend, so that all of them reject the
 * same batches with the same InvalidAppendError path (contract behaviour 4). Returns nothing; throws the
 * first broken rule.
 *
 * Strings must be well-formed Unicode without U+0000: PostgreSQL's jsonb cannot store either, and an
 * adapter that silently altered them would break the round trip (behaviour 11), so nobody accepts them.
 */
export function assertValidAppend(
  streamId: string,
  events: readonly EventToAppend[],
  expectedRevision: ExpectedRevision,
): void {
  validAppendTexts(streamId, events, expectedRevision);
}

/** The canonical JSON of one event's data and metadata, as validation encoded them. */
export interface CanonicalTexts {
  readonly dataText: string;
  readonly metadataText: string;
}

/**
 * assertValidAppend, handing back each event's canonical data and metadata text: checking that they encode
 * means encoding them, and an adapter that stores the text (SQL) encoded them a second time (round 11).
 */
export function validAppendTexts(
  streamId: string,
  events: readonly EventToAppend[],
  expectedRevision: ExpectedRevision,
): CanonicalTexts[] {
  assertText(streamId, "streamId", MAX_STREAM_ID_LENGTH);
  assertExpectedRevision(expectedRevision);
  if (!Array.isArray(events) || events.length === 0)
    throw new InvalidAppendError("events", "must contain at least one event");
  if (events.length > MAX_APPEND_BATCH) {
    throw new InvalidAppendError(
      "events",
      `must contain at most ${MAX_APPEND_BATCH} events (got ${events.length}); split the batch`,
    );
  }
  const seen = new Map<string, number>();
  const texts: CanonicalTexts[] = new Array<CanonicalTexts>(events.length);
  events.forEach((event, index) => {
    const at = `events[${index}]`;
    if (typeof event !== "object" || event === null) throw new InvalidAppendError(at, "must be an object");
    assertText(event.eventId, `${at}.eventId`, MAX_EVENT_ID_LENGTH);
    const earlier = seen.get(event.eventId);
    if (earlier !== undefined) {
      throw new InvalidAppendError(
        `${at}.eventId`,
        `duplicates events[${earlier}].eventId ${JSON.stringify(event.eventId)} in the same batch`,
      );
    }
    seen.set(event.eventId, index);
    assertText(event.type, `${at}.type`, MAX_EVENT_TYPE_LENGTH);
    if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1) {
      throw new InvalidAppendError(`${at}.schemaVersion`, "must be an integer >= 1");
    }
    texts[index] = {
      dataText: assertEncodableObject(event.data, `${at}.data`),
      metadataText: assertEncodableObject(event.metadata, `${at}.metadata`),
    };
  });
  return texts;
}

export function assertExpectedRevision(expectedRevision: ExpectedRevision): void {
  if (typeof expectedRevision === "number") {
    if (!Number.isSafeInteger(expectedRevision) || expectedRevision < 0) {
      throw new InvalidAppendError("expectedRevision", "must be an integer >= 0 or a sentinel");
    }
    return;
  }
  if (
    expectedRevision !== NO_CONCURRENCY_CHECK &&
    expectedRevision !== STREAM_DOES_NOT_EXIST &&
    expectedRevision !== STREAM_EXISTS
  ) {
    throw new InvalidAppendError("expectedRevision", `unknown sentinel ${JSON.stringify(expectedRevision)}`);
  }
}

/** Whether a stream at `current` events satisfies the expectation (revisions normalised: empty = 0). */
export function revisionMatches(expectedRevision: ExpectedRevision, current: number): boolean {
  if (expectedRevision === NO_CONCURRENCY_CHECK) return true;
  if (expectedRevision === STREAM_DOES_NOT_EXIST) return current === 0;
  if (expectedRevision === STREAM_EXISTS) return current > 0;
  return expectedRevision === current;
}

function assertText(value: unknown, path: string, maxLength: number): void {
  if (typeof value !== "string" || value.length === 0)
    throw new InvalidAppendError(path, "must be a non-empty string");
  if (value.length > maxLength) throw new InvalidAppendError(path, `must be at most ${maxLength} characters`);
  const problem = stringProblem(value);
  if (problem) throw new InvalidAppendError(path, problem);
}

/**
 * ES2024's String.prototype.isWellFormed (native, Node 20+; typed here because the project's lib is
 * ES2023): the regular expression it replaces was ~1 % of the recorder's CPU, run on every string.
 */
const isWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stringProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain U+0000";
  const wellFormed = isWellFormed === undefined ? !LONE_SURROGATE.test(text) : isWellFormed.call(text);
  if (!wellFormed) return "must be well-formed Unicode (no lone surrogates)";
  return undefined;
}

/** Checks the object and returns its canonical JSON. */
function assertEncodableObject(value: unknown, path: string): string {
  const proto: unknown =
    typeof value === "object" && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    (proto !== Object.prototype && proto !== null)
  ) {
    throw new InvalidAppendError(path, "must be a plain JSON object");
  }
  let text: string;
  try {
    text = canonicalJson(value);
  } catch (error) {
    if (error instanceof CanonicalEncodingError)
      throw new InvalidAppendError(path + error.path.slice(1), error.rule);
    throw error;
  }
  // The exact walk (sorted keys, every string checked) runs only when it can find something: canonical JSON
  // escapes U+0000 and lone surrogates as JSON.stringify does (`\u0000`, `\udXXX`), so a text without such an
  // escape has none (an escaped backslash before "u0000" is a false alarm the walk clears), and nesting is
  // measured without sorting or reading strings. The walk cost ~6 % of the recorder's CPU on every event.
  if (PROBLEM_ESCAPE.test(text) || tooDeep(value, 0)) assertStrings(value, path, 0);
  return text;
}

/** The escapes canonical JSON writes for U+0000 and lone surrogates. */
const PROBLEM_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** Whether assertStrings would find a value nested deeper than MAX_DEPTH (the same rule, nothing else). */
function tooDeep(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return true;
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (tooDeep(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (tooDeep((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

const MAX_DEPTH = 64;

/** Walks the (already encodable) value for strings and keys PostgreSQL jsonb would refuse. */
function assertStrings(value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new InvalidAppendError(path, `must nest at most ${MAX_DEPTH} levels`);
  if (typeof value === "string") {
    const problem = stringProblem(value);
    if (problem) throw new InvalidAppendError(path, problem);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      assertStrings(item, `${path}[${index}]`, depth + 1);
    });
    return;
  }
  for (const key of Object.keys(value).sort()) {
    const problem = stringProblem(key);
    if (problem) throw new InvalidAppendError(`${path}.${key}`, `key ${problem}`);
    assertStrings((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
  }
}
