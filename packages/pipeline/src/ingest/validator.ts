import { validateEvent } from "@icm/engine";
import type { DomainEvent, ParseResult } from "@icm/events";

/**
 * Validates one raw input as an event (envelope, schema, upcasting, and the deep plan rules of a
 * PlanVersionPublished). Never throws on bad input: problems come back as issues naming field and rule.
 */
export type EventValidator = (raw: unknown) => ParseResult<DomainEvent>;

/** The engine's validateEvent: what the edge accepts is exactly what the engine can read. */
export const defaultValidator: EventValidator = validateEvent;
