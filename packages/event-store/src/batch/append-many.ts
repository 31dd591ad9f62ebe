import { EventStoreError, InvalidAppendError, StoreClosedError } from "../port/errors.js";
import type { AppendManyItem, AppendManyOutcome, AppendResult, EventStore } from "../port/types.js";
import { MAX_APPEND_BATCH } from "../port/types.js";

/**
 * The whole-call rules of appendMany, checked before anything is written: `items` is an array of at most
 * MAX_APPEND_BATCH objects whose events add up to at most MAX_APPEND_BATCH. Anything else about an item
 * (an empty or malformed batch, a bad stream id) is that item's own InvalidAppendError, not the call's.
 * Returns the total number of events offered.
 */
export function assertAppendManyBounds(items: readonly AppendManyItem[]): number {
  if (!Array.isArray(items)) throw new InvalidAppendError("items", "must be an array");
  if (items.length > MAX_APPEND_BATCH) {
    throw new InvalidAppendError(
      "items",
      `must contain at most ${MAX_APPEND_BATCH} items (got ${items.length}); split the call`,
    );
  }
  let total = 0;
  items.forEach((item, index) => {
    if (typeof item !== "object" || item === null)
      throw new InvalidAppendError(`items[${index}]`, "must be an object");
    // A non-array `events` is the item's own structural error, reported by append()'s rules; it counts 0 here.
    if (Array.isArray(item.events)) total += item.events.length;
  });
  if (total > MAX_APPEND_BATCH) {
    throw new InvalidAppendError(
      "items",
      `must contain at most ${MAX_APPEND_BATCH} events in all (got ${total}); split the call`,
    );
  }
  return total;
}

/** Runs one item's append and turns its typed error into the item's outcome; anything else propagates. */
export async function appendOutcome(append: () => Promise<AppendResult>): Promise<AppendManyOutcome> {
  try {
    return { ok: true, result: await append() };
  } catch (error) {
    // A closed store is about the store, not the item: it fails the whole call.
    if (error instanceof EventStoreError && !(error instanceof StoreClosedError)) return { ok: false, error };
    throw error;
  }
}

/**
 * appendMany for an adapter that cannot batch: append() for each item in turn. Same per-item outcomes as
 * a batching adapter, but neither one transaction nor one lock: items written before an unexpected failure
 * stay written (the call rejects; a retry replays them idempotently), and another writer may interleave
 * between items, so "global order = item order" holds only for this caller's own items.
 */
export async function appendManySequentially(
  store: Pick<EventStore, "append">,
  items: readonly AppendManyItem[],
): Promise<AppendManyOutcome[]> {
  assertAppendManyBounds(items);
  const outcomes: AppendManyOutcome[] = [];
  for (const item of items) {
    outcomes.push(await appendOutcome(() => store.append(item.streamId, item.events, item.expectedRevision)));
  }
  return outcomes;
}
