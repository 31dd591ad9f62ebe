import { type EventStore, MAX_APPEND_BATCH, type RecordedEvent } from "@icm/event-store";
import { readAllEvents, testEvents } from "@icm/event-store/contract";
import { expect } from "vitest";

/**
 * Appends `total` events to one stream in full MAX_APPEND_BATCH batches and checks they read back whole:
 * same ids and data in order, contiguous stream positions, increasing global positions, intact chain.
 */
export async function expectBulkRoundTrip(store: EventStore, total: number): Promise<void> {
  const events = testEvents("bulk", total);
  for (let start = 0; start < total; start += MAX_APPEND_BATCH) {
    const batch = events.slice(start, start + MAX_APPEND_BATCH);
    const result = await store.append("bulk", batch, start);
    expect(result.nextExpectedRevision).toBe(start + batch.length);
    expect(result.positions.map((p) => p.streamPosition)).toEqual(batch.map((_, i) => start + i + 1));
  }
  const all: RecordedEvent[] = await readAllEvents(store, { limit: 2_000 });
  expect(all.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
  expect(all.map((e) => e.data)).toEqual(events.map((e) => e.data));
  expect(
    all.every((e, i) => i === 0 || e.globalPosition > (all[i - 1] as RecordedEvent).globalPosition),
  ).toBe(true);
  const stream = await store.readStream("bulk");
  expect(stream.currentRevision).toBe(total);
  expect(stream.events.map((e) => e.streamPosition)).toEqual(events.map((_, i) => i + 1));
  expect(await store.verifyChain()).toMatchObject({ ok: true, checked: total });
}
