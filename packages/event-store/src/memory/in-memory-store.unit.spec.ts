import { Decimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import { StoreClosedError } from "../port/errors.js";
import type { JsonObject } from "../port/types.js";
import { NO_CONCURRENCY_CHECK, STREAM_DOES_NOT_EXIST } from "../port/types.js";
import { fixedClock } from "./clock.js";
import {
  createInMemoryEventStore,
  createInMemoryEventStoreWithHooks,
  ReadFailureInjected,
} from "./in-memory-store.js";

const clock = fixedClock("2026-02-03T04:05:06.000Z");

describe("in-memory event store (beyond the contract)", () => {
  it("stamps recordedAt from the injected clock", async () => {
    const store = createInMemoryEventStore({ clock });
    await store.append(
      "s",
      [{ eventId: "a", type: "T", schemaVersion: 1, data: {}, metadata: {} }],
      STREAM_DOES_NOT_EXIST,
    );
    expect((await store.readStream("s")).events[0]?.recordedAt).toBe("2026-02-03T04:05:06.000Z");
    await store.close();
  });

  it("keeps its own copy: mutating the caller's data after append changes nothing, and read events are frozen", async () => {
    const store = createInMemoryEventStore({ clock });
    const data: JsonObject = { nested: { amount: "10.00" }, list: [1, 2] };
    await store.append(
      "s",
      [{ eventId: "a", type: "T", schemaVersion: 1, data, metadata: {} }],
      STREAM_DOES_NOT_EXIST,
    );
    (data.nested as JsonObject).amount = "99.99";
    (data.list as number[]).push(3);
    const [event] = (await store.readStream("s")).events;
    expect(event?.data).toEqual({ nested: { amount: "10.00" }, list: [1, 2] });
    expect(Object.isFrozen(event?.data.nested)).toBe(true);
    expect(await store.verifyChain()).toMatchObject({ ok: true, checked: 1 });
    await store.close();
  });

  it("stores a Decimal as its plain decimal string, as a database would return it", async () => {
    const store = createInMemoryEventStore({ clock });
    const data = { rate: new Decimal("1.50") } as unknown as JsonObject;
    await store.append(
      "s",
      [{ eventId: "a", type: "T", schemaVersion: 1, data, metadata: {} }],
      STREAM_DOES_NOT_EXIST,
    );
    expect((await store.readStream("s")).events[0]?.data).toEqual({ rate: "1.5" });
    await store.close();
  });

  it("rejects readAll pages outside 1..MAX_PAGE_SIZE and negative checkpoints with RangeError", async () => {
    const store = createInMemoryEventStore({ clock });
    await expect(store.readAll({ limit: 0 })).rejects.toThrow(RangeError);
    await expect(store.readAll({ limit: 5_001 })).rejects.toThrow(RangeError);
    await expect(store.readAll({ after: -1 })).rejects.toThrow(RangeError);
    await expect(store.readStream("s", { maxCount: -1 })).rejects.toThrow(RangeError);
    await store.close();
  });

  it("a filtered page scans a bounded number of events and still reports its checkpoint", async () => {
    const store = createInMemoryEventStore({ clock });
    for (let start = 0; start < 12_000; start += 4_000) {
      const events = Array.from({ length: 4_000 }, (_, i) => ({
        eventId: `e${start + i}`,
        type: "Common",
        schemaVersion: 1,
        data: {},
        metadata: {},
      }));
      await store.append("s", events, NO_CONCURRENCY_CHECK);
    }
    const page = await store.readAll({ limit: 10, eventTypes: ["Rare"] });
    expect(page).toEqual({ events: [], checkpoint: 5_000, isEnd: false });
    await store.close();
  });

  it("after close every call fails with StoreClosedError, and close is idempotent", async () => {
    const store = createInMemoryEventStore({ clock });
    await store.close();
    await store.close();
    await expect(store.readAll()).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.readStream("s")).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.head()).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.verifyChain()).rejects.toBeInstanceOf(StoreClosedError);
    expect(() => store.subscribeToAll({ onEvent: () => undefined })).toThrow(StoreClosedError);
  });

  it("an append wakes live subscriptions at once instead of waiting for the next poll", async () => {
    const store = createInMemoryEventStore({ clock });
    const seen: string[] = [];
    const sub = store.subscribeToAll(
      { onEvent: (e) => void seen.push(e.eventId) },
      { pollIntervalMs: 60_000 },
    );
    await sub.caughtUp;
    await store.append(
      "s",
      [{ eventId: "live", type: "T", schemaVersion: 1, data: {}, metadata: {} }],
      STREAM_DOES_NOT_EXIST,
    );
    // A one-minute poll interval: only the store's wake-up can deliver within these event-loop turns.
    for (let turn = 0; turn < 1_000 && seen.length === 0; turn += 1)
      await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["live"]);
    await store.close();
    await expect(sub.done).resolves.toBeUndefined();
  });

  it("failNextReads makes exactly that many reads fail", async () => {
    const { store, hooks } = createInMemoryEventStoreWithHooks({ clock });
    hooks.failNextReads(2);
    await expect(store.readAll()).rejects.toBeInstanceOf(ReadFailureInjected);
    await expect(store.readStream("s")).rejects.toBeInstanceOf(ReadFailureInjected);
    await expect(store.readAll()).resolves.toEqual({ events: [], checkpoint: 0, isEnd: true });
    await store.close();
  });
});
