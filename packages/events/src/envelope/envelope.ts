import { z } from "zod";
import type { JsonValue } from "../canonical/canonical-json.js";
import { EVENT_SCHEMAS, type EventData, type EventType } from "../schemas/catalog.js";
import { Id, JsonValueSchema } from "../schemas/common.js";
import { UPCASTERS } from "../upcast/upcasters.js";
import { fastParseEvent } from "./fast-parse.js";
import { isPlainObject } from "./plain-object.js";

/**
 * Metadata travels with an event but never enters a calculation (DOMAIN.md §2): where it came from and
 * which request caused it. The time a store recorded an event is kept by the store, not here.
 */
export interface EventMetadata {
  readonly source?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: string;
  readonly [key: string]: JsonValue | undefined;
}

/** An event as plain data: the unit that is validated, published, stored, hashed and replayed. */
export interface EventEnvelope<T extends EventType = EventType> {
  readonly eventId: string;
  readonly type: T;
  readonly schemaVersion: number;
  readonly data: EventData[T];
  readonly metadata: EventMetadata;
}

/** The discriminated union of every current event. */
export type DomainEvent = { [K in EventType]: EventEnvelope<K> }[EventType];

export interface ValidationIssue {
  /** Where the problem is, e.g. `data.splits[0].share`. */
  readonly path: string;
  /** The rule that was broken, readable by the person who sent the event. */
  readonly rule: string;
}

export class EventValidationError extends Error {
  override readonly name = "EventValidationError";
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.rule}`).join("; "));
  }
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

const MetadataSchema = z.record(z.string(), JsonValueSchema);

const EnvelopeSchema = z.strictObject({
  eventId: Id,
  type: z.string().min(1, "must name an event type"),
  schemaVersion: z.number().int().min(1, "must be 1 or more"),
  // Only "is a plain object" here: the event type's own schema checks (and copies) every field right after,
  // and z.record would walk and copy every key once more (~45 % of the envelope's cost on replay).
  data: z.custom<Record<string, unknown>>(isPlainObject, { error: "must be an object" }),
  metadata: MetadataSchema.optional(),
});

export function formatPath(path: readonly PropertyKey[], prefix?: string): string {
  let out = prefix ?? "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "$" : out;
}

export function issuesFromZod(error: z.ZodError, prefix?: string): ValidationIssue[] {
  return error.issues.flatMap((issue) => {
    // zod reports unknown keys once, at the enclosing object; the sender needs the key itself named
    // (a typo such as `eventID` or `closedate` must point at the typo).
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key], prefix),
        rule: "is not a field of this event",
      }));
    }
    return [{ path: formatPath(issue.path, prefix), rule: issue.message }];
  });
}

/**
 * Validates an incoming event, upcasting older schema versions to the current one. Never throws on bad
 * input: every problem comes back as an issue naming the field and the rule.
 */
export function parseEvent(raw: unknown): ParseResult<DomainEvent> {
  const fast = fastParseEvent(raw);
  if (fast !== undefined) return { ok: true, value: fast };
  return parseEventBySchema(raw);
}

/**
 * `parseEvent` by the zod schemas alone: the definition `fastParseEvent` is held to (and the path of every
 * event it is not sure of).
 */
export function parseEventBySchema(raw: unknown): ParseResult<DomainEvent> {
  const envelope = EnvelopeSchema.safeParse(raw);
  if (!envelope.success) return { ok: false, issues: issuesFromZod(envelope.error) };
  const { eventId, type, schemaVersion, data, metadata } = envelope.data;
  if (!Object.hasOwn(EVENT_SCHEMAS, type)) {
    return { ok: false, issues: [{ path: "type", rule: `unknown event type ${JSON.stringify(type)}` }] };
  }
  const current = EVENT_SCHEMAS[type as EventType];
  let body: Record<string, unknown> = data;
  let version = schemaVersion;
  if (version > current.schemaVersion) {
    return {
      ok: false,
      issues: [
        {
          path: "schemaVersion",
          rule: `${type} has no schema version ${version}; latest is ${current.schemaVersion}`,
        },
      ],
    };
  }
  const chain = UPCASTERS[type] ?? [];
  while (version < current.schemaVersion) {
    const upcaster = chain.find((u) => u.fromVersion === version);
    if (!upcaster) {
      return {
        ok: false,
        issues: [{ path: "schemaVersion", rule: `${type} version ${version} cannot be upcast` }],
      };
    }
    const old = upcaster.schema.safeParse(body);
    if (!old.success) return { ok: false, issues: issuesFromZod(old.error, "data") };
    body = upcaster.up(old.data);
    version += 1;
  }
  const parsed = current.schema.safeParse(body);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error, "data") };
  const event = {
    eventId,
    type,
    schemaVersion: current.schemaVersion,
    data: parsed.data,
    metadata: (metadata ?? {}) as EventMetadata,
  } as DomainEvent;
  return { ok: true, value: event };
}

/** Like parseEvent, but throws an EventValidationError. For trusted paths such as replay. */
export function parseEventOrThrow(raw: unknown): DomainEvent {
  const result = parseEvent(raw);
  if (!result.ok) throw new EventValidationError(result.issues);
  return result.value;
}

/** Builds a current-version event with the right schemaVersion (for tests, generators and the demo). */
export function makeEvent<T extends EventType>(
  type: T,
  eventId: string,
  data: EventData[T],
  metadata: EventMetadata = {},
): EventEnvelope<T> {
  return { eventId, type, schemaVersion: EVENT_SCHEMAS[type].schemaVersion, data, metadata };
}
