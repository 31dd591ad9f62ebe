import {
  type EventStore,
  MAX_APPEND_BATCH,
  NO_CONCURRENCY_CHECK,
  type RecordedEvent,
} from "@icm/event-store";
import { readAllEvents, testEvent, testEvents } from "@icm/event-store/contract";
import { canonicalJson, storedTextsOf } from "@icm/events";
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

/**
 * Events read from a SQL store carry the exact texts their data and metadata were parsed from (not
 * enumerable), and verifyChain checks links over them: a row rewritten in another JSON form of the same
 * content still verifies (the canonical re-encoding decides when the stored bytes do not match), a row
 * rewritten with other content breaks at that row.
 */
export async function expectStoredTextsVerify(
  store: EventStore,
  rewriteDataText: (globalPosition: number, text: string) => Promise<void>,
): Promise<void> {
  await store.append(
    "deal-1",
    [
      testEvent("t-1", { b: "x", a: 1 }),
      testEvent("t-2", { n: 2 }, "ContractTested", { correlationId: "c" }),
    ],
    NO_CONCURRENCY_CHECK,
  );
  const [first, second] = await readAllEvents(store);
  if (first === undefined || second === undefined) throw new Error("two events were appended");
  expect(storedTextsOf(first)).toEqual({ data: '{"a":1,"b":"x"}', metadata: "{}" });
  expect(storedTextsOf(second)).toEqual({ data: '{"n":2}', metadata: canonicalJson({ correlationId: "c" }) });
  expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  expect(storedTextsOf({ ...first })).toBeUndefined();

  await rewriteDataText(first.globalPosition, '{ "b": "x",  "a": 1 }');
  const [reformatted] = await readAllEvents(store);
  expect(reformatted?.data).toEqual(first.data);
  expect(reformatted === undefined ? undefined : storedTextsOf(reformatted)?.data).toBe(
    '{ "b": "x",  "a": 1 }',
  );
  expect(await store.verifyChain()).toMatchObject({ ok: true, checked: 2 });

  await rewriteDataText(first.globalPosition, '{"a":2,"b":"x"}');
  expect(await store.verifyChain()).toMatchObject({
    ok: false,
    position: first.globalPosition,
    reason: "hash_mismatch",
    found: first.hash,
  });
}
