import { describe, expect, it } from "vitest";
import { fixedClock } from "../memory/clock.js";
import { createInMemoryEventStore } from "../memory/in-memory-store.js";
import { InvalidAppendError } from "../port/errors.js";
import { handleCommand } from "./handle-command.js";

const newStore = () => createInMemoryEventStore({ clock: fixedClock("2026-01-01T00:00:00.000Z") });

describe("handleCommand", () => {
  it("appends what decide returns at the revision it read", async () => {
    const store = newStore();
    const first = await handleCommand(
      store,
      "deal-1",
      () => [{ eventId: "a", type: "T", schemaVersion: 1, data: {}, metadata: {} }],
      { maxRetries: 0 },
    );
    expect(first).toMatchObject({
      attempts: 1,
      appended: { nextExpectedRevision: 1, idempotentReplay: false },
    });
    const second = await handleCommand(
      store,
      "deal-1",
      (history) => [
        { eventId: "b", type: "T", schemaVersion: 1, data: { seen: history.length }, metadata: {} },
      ],
      { maxRetries: 0 },
    );
    expect(second.appended?.positions[0]?.streamPosition).toBe(2);
    expect((await store.readStream("deal-1")).events[1]?.data).toEqual({ seen: 1 });
    await store.close();
  });

  it("writes nothing when decide returns no events", async () => {
    const store = newStore();
    const result = await handleCommand(store, "deal-1", () => [], { maxRetries: 0 });
    expect(result).toEqual({ appended: undefined, attempts: 1, newEvents: [] });
    expect((await store.readStream("deal-1")).streamExists).toBe(false);
    await store.close();
  });

  it("does not retry errors other than a version conflict", async () => {
    const store = newStore();
    let calls = 0;
    await expect(
      handleCommand(
        store,
        "deal-1",
        () => {
          calls += 1;
          return [{ eventId: "a", type: "T", schemaVersion: 1, data: { bad: 0.5 }, metadata: {} }];
        },
        { maxRetries: 5 },
      ),
    ).rejects.toBeInstanceOf(InvalidAppendError);
    expect(calls).toBe(1);
    await store.close();
  });

  it("refuses an unbounded retry count", async () => {
    const store = newStore();
    await expect(handleCommand(store, "s", () => [], { maxRetries: -1 })).rejects.toThrow(RangeError);
    await expect(handleCommand(store, "s", () => [], { maxRetries: 101 })).rejects.toThrow(RangeError);
    await store.close();
  });
});
