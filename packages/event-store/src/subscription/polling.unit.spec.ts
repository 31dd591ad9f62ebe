import { describe, expect, it } from "vitest";
import { fixedClock } from "../memory/clock.js";
import { createInMemoryEventStore } from "../memory/in-memory-store.js";
import { StoreClosedError } from "../port/errors.js";
import type { ReadAllOptions, ReadAllPage, RecordedEvent } from "../port/types.js";
import { NO_CONCURRENCY_CHECK } from "../port/types.js";
import { SubscriptionClosedError, startPollingSubscription } from "./polling.js";

const clock = fixedClock("2026-01-01T00:00:00.000Z");
const fastRetry = (maxConsecutiveFailures: number) => ({ maxConsecutiveFailures, backoffMs: () => 1 });

async function storeWith(count: number) {
  const store = createInMemoryEventStore({ clock });
  if (count > 0) {
    await store.append(
      "s",
      Array.from({ length: count }, (_, i) => ({
        eventId: `e${i + 1}`,
        type: "T",
        schemaVersion: 1,
        data: { n: i + 1 },
        metadata: {},
      })),
      NO_CONCURRENCY_CHECK,
    );
  }
  return store;
}

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}

async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 2_000 && !condition(); turn += 1)
    await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

describe("polling subscription", () => {
  it("delivers sequentially, in order, in pages no larger than pageSize, then signals caught up", async () => {
    const store = await storeWith(23);
    const limits: number[] = [];
    const readAll = (options: ReadAllOptions) => {
      limits.push(options.limit ?? -1);
      return store.readAll(options);
    };
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: number[] = [];
    const sub = startPollingSubscription(
      readAll,
      {
        async onEvent(event) {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          seen.push(event.globalPosition);
          inFlight -= 1;
        },
      },
      { pageSize: 5, pollIntervalMs: 1_000 },
    );
    expect(await sub.caughtUp).toBe(23);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(maxInFlight).toBe(1);
    expect(limits.every((limit) => limit === 5)).toBe(true);
    await sub.close();
    await store.close();
  });

  it("resumes after an exclusive checkpoint and signals caught up again each time it had fallen behind", async () => {
    const store = await storeWith(10);
    const seen: number[] = [];
    const caughtUp: number[] = [];
    const sub = startPollingSubscription(
      (o) => store.readAll(o),
      { onEvent: (e) => void seen.push(e.globalPosition), onCaughtUp: (c) => void caughtUp.push(c) },
      { after: 6, pollIntervalMs: 60_000 },
    );
    expect(await sub.caughtUp).toBe(10);
    await store.append(
      "s",
      [{ eventId: "e11", type: "T", schemaVersion: 1, data: {}, metadata: {} }],
      NO_CONCURRENCY_CHECK,
    );
    // A one-minute poll interval: only wake() can bring the new event in promptly.
    sub.wake();
    await until(() => caughtUp.length === 2);
    expect(seen).toEqual([7, 8, 9, 10, 11]);
    expect(caughtUp).toEqual([10, 11]);
    expect(sub.checkpoint).toBe(11);
    await sub.close();
    await store.close();
  });

  it("reports filtered-out progress through onCheckpoint", async () => {
    const store = await storeWith(12);
    const checkpoints: number[] = [];
    const sub = startPollingSubscription(
      (o) => store.readAll(o),
      { onEvent: () => undefined, onCheckpoint: (c) => void checkpoints.push(c) },
      {
        eventTypes: ["Other"],
      },
    );
    expect(await sub.caughtUp).toBe(12);
    expect(checkpoints).toEqual([12]);
    await sub.close();
    await store.close();
  });

  it("close() waits for the in-flight handler and leaves no timer behind", async () => {
    const store = await storeWith(3);
    const baseline = timeouts();
    const gate = deferred();
    const order: string[] = [];
    const sub = startPollingSubscription(
      (o) => store.readAll(o),
      {
        async onEvent(event) {
          if (event.globalPosition === 2) await gate.promise;
          order.push(`handled ${event.globalPosition}`);
        },
      },
      { pollIntervalMs: 60_000 },
    );
    await until(() => order.length === 1);
    const closing = sub.close().then(() => order.push("closed"));
    await new Promise((resolve) => setImmediate(resolve));
    order.push("releasing");
    gate.release();
    await closing;
    expect(order).toEqual(["handled 1", "releasing", "handled 2", "closed"]);
    await expect(sub.done).resolves.toBeUndefined();
    await expect(sub.caughtUp).rejects.toBeInstanceOf(SubscriptionClosedError);
    expect(timeouts()).toBeLessThanOrEqual(baseline);
    await store.close();
  });

  it("a closed subscription waiting for the next poll stops at once and clears its timer", async () => {
    const store = await storeWith(1);
    const baseline = timeouts();
    const sub = startPollingSubscription(
      (o) => store.readAll(o),
      { onEvent: () => undefined },
      { pollIntervalMs: 60_000 },
    );
    await sub.caughtUp;
    expect(timeouts()).toBe(baseline + 1);
    await sub.close();
    expect(timeouts()).toBe(baseline);
    await store.close();
  });

  it("retries failed reads up to the policy's limit, then keeps delivering", async () => {
    const store = await storeWith(4);
    let failuresLeft = 3;
    let reads = 0;
    const flaky = async (o: ReadAllOptions): Promise<ReadAllPage> => {
      reads += 1;
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error("connection reset");
      }
      return store.readAll(o);
    };
    const seen: RecordedEvent[] = [];
    const sub = startPollingSubscription(
      flaky,
      { onEvent: (e) => void seen.push(e) },
      { retry: fastRetry(3) },
    );
    expect(await sub.caughtUp).toBe(4);
    expect(seen).toHaveLength(4);
    expect(reads).toBeGreaterThanOrEqual(4);
    await sub.close();
    await expect(sub.done).resolves.toBeUndefined();
    await store.close();
  });

  it("gives up after more consecutive read failures than allowed: done and caughtUp reject with the error", async () => {
    let reads = 0;
    const failure = new Error("connection refused");
    const sub = startPollingSubscription(
      async () => {
        reads += 1;
        throw failure;
      },
      { onEvent: () => undefined },
      { retry: fastRetry(5) },
    );
    await expect(sub.done).rejects.toBe(failure);
    await expect(sub.caughtUp).rejects.toBe(failure);
    expect(reads).toBe(6);
    await sub.close();
  });

  it("does not retry reads from a closed store", async () => {
    const store = await storeWith(0);
    await store.close();
    let reads = 0;
    const sub = startPollingSubscription(
      (o) => {
        reads += 1;
        return store.readAll(o);
      },
      { onEvent: () => undefined },
      { retry: fastRetry(5) },
    );
    await expect(sub.done).rejects.toBeInstanceOf(StoreClosedError);
    expect(reads).toBe(1);
  });

  it("a throwing handler rejects done and delivers nothing after it", async () => {
    const store = await storeWith(5);
    const seen: number[] = [];
    const failure = new Error("handler broke");
    const sub = startPollingSubscription((o) => store.readAll(o), {
      onEvent(event) {
        if (event.globalPosition === 3) throw failure;
        seen.push(event.globalPosition);
      },
    });
    await expect(sub.done).rejects.toBe(failure);
    expect(seen).toEqual([1, 2]);
    expect(sub.checkpoint).toBe(2);
    await store.close();
  });

  it("refuses unbounded or nonsensical options", () => {
    const readAll = async (): Promise<ReadAllPage> => ({ events: [], checkpoint: 0, isEnd: true });
    const handler = { onEvent: () => undefined };
    expect(() => startPollingSubscription(readAll, handler, { pageSize: 0 })).toThrow(RangeError);
    expect(() => startPollingSubscription(readAll, handler, { pageSize: 5_001 })).toThrow(RangeError);
    expect(() => startPollingSubscription(readAll, handler, { pollIntervalMs: 0 })).toThrow(RangeError);
    expect(() => startPollingSubscription(readAll, handler, { after: -1 })).toThrow(RangeError);
    expect(() => startPollingSubscription(readAll, handler, { retry: fastRetry(1_000) })).toThrow(RangeError);
  });
});
