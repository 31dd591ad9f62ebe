import type { EventStore, RecordedEvent } from "@icm/event-store";
import type { Rebuild } from "./rebuild.js";

/** Events per read: the store's own catch-up uses 2,000; bigger pages cut round trips on a full replay. */
export const REPLAY_PAGE_SIZE = 5_000;
const MAX_PAGES = 10_000_000;

/**
 * Reads the whole log page by page. The next page is requested before the current one is applied, so the
 * database works while the engine computes (one read in flight at most: bounded memory).
 */
export async function readPages(
  store: EventStore,
  rebuild: Rebuild | undefined,
  onPage?: (page: readonly RecordedEvent[]) => Promise<void> | void,
): Promise<number> {
  let after = 0;
  let total = 0;
  let next = store.readAll({ after, limit: REPLAY_PAGE_SIZE });
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const waitStart = process.hrtime.bigint();
    const page = await next;
    rebuild?.addReadNs(process.hrtime.bigint() - waitStart);
    after = page.checkpoint;
    const more = !page.isEnd && page.events.length > 0;
    if (more) next = store.readAll({ after, limit: REPLAY_PAGE_SIZE });
    rebuild?.apply(page.events);
    await onPage?.(page.events);
    total += page.events.length;
    if (!more) return total;
  }
  throw new RangeError(`replay read more than ${MAX_PAGES} pages`);
}
