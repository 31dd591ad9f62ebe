import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { equivalenceProperty, testEvent } from "../contract/index.js";
import { fixedClock } from "../memory/clock.js";
import { createInMemoryEventStore } from "../memory/in-memory-store.js";
import { isInvalidAppend, StoreClosedError } from "../port/errors.js";
import { type EventStore, MAX_APPEND_BATCH, NO_CONCURRENCY_CHECK } from "../port/types.js";
import { appendManySequentially, assertAppendManyBounds } from "./append-many.js";

const clock = fixedClock("2026-01-01T00:00:00.000Z");

/** A store that batches nothing: its appendMany is the generic fallback over its own append. */
function sequentialOnly(): EventStore {
  const inner = createInMemoryEventStore({ clock });
  return { ...inner, appendMany: (items) => appendManySequentially(inner, items) };
}

describe("appendManySequentially (the fallback for adapters that cannot batch)", () => {
  it("gives the same events, hashes and outcomes as a batching store (200 runs)", async () => {
    const fallback = sequentialOnly();
    const reference = createInMemoryEventStore({ clock });
    await fc.assert(equivalenceProperty(fallback, reference), { numRuns: 200 });
  });

  it("rejects the whole call when the store is closed, instead of refusing each item", async () => {
    const store = createInMemoryEventStore({ clock });
    await store.close();
    const items = [{ streamId: "s", events: [testEvent("e")], expectedRevision: NO_CONCURRENCY_CHECK }];
    await expect(appendManySequentially(store, items)).rejects.toBeInstanceOf(StoreClosedError);
  });
});

describe("assertAppendManyBounds", () => {
  it("counts events across items and refuses the call past MAX_APPEND_BATCH", () => {
    const item = (count: number) => ({
      streamId: "s",
      events: Array.from({ length: count }, (_, i) => testEvent(`e${i}`)),
      expectedRevision: NO_CONCURRENCY_CHECK,
    });
    expect(assertAppendManyBounds([item(MAX_APPEND_BATCH - 1), item(1)])).toBe(MAX_APPEND_BATCH);
    let refused: unknown;
    try {
      assertAppendManyBounds([item(MAX_APPEND_BATCH), item(1)]);
    } catch (error) {
      refused = error;
    }
    expect(isInvalidAppend(refused)).toBe(true);
  });
});
