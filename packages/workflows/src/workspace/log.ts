import type { RecordedDomainEvent } from "@icm/engine";
import type { EventStore, RecordedEvent } from "@icm/event-store";
import { type DomainEvent, parseEventOrThrow } from "@icm/events";

/** Events read from the store per page while catching up (bounded memory per round trip). */
export const READ_PAGE_SIZE = 2_000;
/** A catch-up never reads more pages than this in one call (a bound, far above any realistic log). */
export const MAX_PAGES_PER_READ = 1_000_000;

/** A stored event as the engine reads it: validated and upcast to the current schema version. */
export function toDomainEvent(recorded: RecordedEvent | Omit<RecordedEvent, "recordedAt">): DomainEvent {
  return parseEventOrThrow({
    eventId: recorded.eventId,
    type: recorded.type,
    schemaVersion: recorded.schemaVersion,
    data: recorded.data,
    metadata: recorded.metadata,
  });
}

/**
 * Reads the store in global order after `after` (exclusive) through `through` (inclusive, default: to the
 * end), page by page, handing each stored event to `onEvent`. Returns the last position read.
 *
 * The next page is asked for before the current one is handed over (at most one page ahead), so the
 * database's work on it overlaps the engine's on this one instead of adding to it.
 */
export async function readLog(
  store: EventStore,
  options: { after: number; through?: number },
  onEvent: (stored: RecordedEvent) => void,
): Promise<number> {
  let last = options.after;
  let next = store.readAll({ after: options.after, limit: READ_PAGE_SIZE });
  try {
    for (let page = 0; page < MAX_PAGES_PER_READ; page += 1) {
      const result = await next;
      const more = !(result.isEnd || result.events.length === 0);
      const beyondThrough = options.through !== undefined && result.checkpoint >= options.through;
      if (more && !beyondThrough) next = store.readAll({ after: result.checkpoint, limit: READ_PAGE_SIZE });
      for (const stored of result.events) {
        if (options.through !== undefined && stored.globalPosition > options.through) return last;
        onEvent(stored);
        last = stored.globalPosition;
      }
      if (!more || beyondThrough) return last;
    }
  } finally {
    // A page read ahead and not used (an early return or a throwing onEvent) must not reject unobserved.
    next.catch(() => undefined);
  }
  throw new RangeError(`reading the log took more than ${MAX_PAGES_PER_READ} pages`);
}

/** The recorded event the engine applies. */
export function toEngineInput(stored: RecordedEvent): RecordedDomainEvent {
  return { globalPosition: stored.globalPosition, event: toDomainEvent(stored) };
}
