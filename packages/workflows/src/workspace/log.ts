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
 */
export async function readLog(
  store: EventStore,
  options: { after: number; through?: number },
  onEvent: (stored: RecordedEvent) => void,
): Promise<number> {
  let checkpoint = options.after;
  let last = options.after;
  for (let page = 0; page < MAX_PAGES_PER_READ; page += 1) {
    const result = await store.readAll({ after: checkpoint, limit: READ_PAGE_SIZE });
    for (const stored of result.events) {
      if (options.through !== undefined && stored.globalPosition > options.through) return last;
      onEvent(stored);
      last = stored.globalPosition;
    }
    checkpoint = result.checkpoint;
    if (result.isEnd || result.events.length === 0) return last;
  }
  throw new RangeError(`reading the log took more than ${MAX_PAGES_PER_READ} pages`);
}

/** The recorded event the engine applies. */
export function toEngineInput(stored: RecordedEvent): RecordedDomainEvent {
  return { globalPosition: stored.globalPosition, event: toDomainEvent(stored) };
}
