import { describe, expect, it } from "vitest";
import type { EventStore, EventToAppend, RecordedEvent, Subscription } from "../port/types.js";
import { NO_CONCURRENCY_CHECK, STREAM_DOES_NOT_EXIST } from "../port/types.js";
import {
  type ContractFactory,
  type HarnessPowers,
  readAllEvents,
  seededRandom,
  sleep,
  testEvent,
  testEvents,
  uniqueId,
  waitFor,
  withHarness,
} from "./harness.js";
import { emptyProjection, project, readModel } from "./projection.js";

const POLL_MS = 10;
const MAX_RESUBSCRIBES = 60;

/** Appends, retrying the identical batch after a failure: safe because appends are idempotent by id. */
async function appendWithRetry(
  store: EventStore,
  streamId: string,
  events: readonly EventToAppend[],
  attempts = 10,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await store.append(streamId, events, NO_CONCURRENCY_CHECK);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(20 * attempt);
    }
  }
}

export function declareSubscriptionBehaviours(factory: ContractFactory, powers: HarnessPowers): void {
  describe("subscribing", () => {
    it("#17 catch-up then live: history in order, caught-up signal, then new appends, no gap or duplicate", () =>
      withHarness(factory, async ({ store }) => {
        const prefix = uniqueId("sub");
        await store.append(`${prefix}-history`, testEvents(`${prefix}-h`, 120), STREAM_DOES_NOT_EXIST);
        const delivered: RecordedEvent[] = [];
        const caughtUpSignals: number[] = [];
        let writeDuringCatchUp: Promise<unknown> | undefined;
        const subscription = store.subscribeToAll(
          {
            onEvent(event) {
              delivered.push(event);
              if (delivered.length === 10) {
                writeDuringCatchUp = store.append(
                  `${prefix}-during`,
                  testEvents(`${prefix}-d`, 5),
                  STREAM_DOES_NOT_EXIST,
                );
              }
            },
            onCaughtUp(checkpoint) {
              caughtUpSignals.push(checkpoint);
            },
          },
          { pageSize: 25, pollIntervalMs: POLL_MS },
        );
        const caughtUpAt = await subscription.caughtUp;
        await writeDuringCatchUp;
        expect(caughtUpSignals[0]).toBe(caughtUpAt);
        const historyEnd =
          (await readAllEvents(store)).find((e) => e.eventId === `${prefix}-h-120`)?.globalPosition ??
          Number.NaN;
        expect(caughtUpAt).toBeGreaterThanOrEqual(historyEnd);
        const all = await readAllEvents(store);
        // At the signal, everything committed up to it had been delivered, in order.
        expect(delivered.filter((e) => e.globalPosition <= caughtUpAt).map((e) => e.eventId)).toEqual(
          all.filter((e) => e.globalPosition <= caughtUpAt).map((e) => e.eventId),
        );

        for (let i = 1; i <= 10; i += 1)
          await store.append(
            `${prefix}-live`,
            [testEvent(`${prefix}-l-${i}`, { n: i })],
            NO_CONCURRENCY_CHECK,
          );
        await waitFor(() => delivered.length >= 135, "135 deliveries");
        const final = await readAllEvents(store);
        expect(delivered.map((e) => e.eventId)).toEqual(final.map((e) => e.eventId));
        expect(caughtUpSignals.length).toBeGreaterThanOrEqual(1);

        await subscription.close();
        await expect(subscription.done).resolves.toBeUndefined();
        await store.append(`${prefix}-after`, testEvents(`${prefix}-x`, 3), STREAM_DOES_NOT_EXIST);
        await sleep(POLL_MS * 5);
        expect(delivered).toHaveLength(135);
      }));

    it("#17 a handler failure rejects done with that error", () =>
      withHarness(factory, async ({ store }) => {
        await store.append(uniqueId("s"), testEvents(uniqueId("e"), 3), STREAM_DOES_NOT_EXIST);
        const failure = new Error("projection broke");
        const subscription = store.subscribeToAll({
          onEvent(event) {
            if (event.streamPosition === 2) throw failure;
          },
        });
        await expect(subscription.done).rejects.toBe(failure);
        await expect(subscription.caughtUp).rejects.toBe(failure);
        await subscription.close();
      }));

    it(`#18 resume after restart from a stored checkpoint: at-least-once, projection equals a rebuild${powers.reopen ? " (restarts on a reopened store)" : ""}`, () =>
      withHarness(factory, async (harness) => {
        const prefix = uniqueId("resume");
        const streams = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
        for (let n = 1; n <= 30; n += 1) {
          await harness.store.append(
            streams[n % 3] as string,
            [testEvent(`${prefix}-${n}`, { n })],
            NO_CONCURRENCY_CHECK,
          );
        }
        const random = seededRandom(18);
        const model = emptyProjection();
        // The checkpoint is persisted only every few events, so a restart redelivers what came after it.
        let storedCheckpoint = 0;
        let extra = 30;
        let restarts = 0;
        let store = harness.store;
        const target = async () => (await harness.store.head()).globalPosition;
        while (model.checkpoint < (await target()) || extra < 60) {
          if (restarts > MAX_RESUBSCRIBES) throw new Error("the consumer never caught up");
          restarts += 1;
          if (extra < 60) {
            for (let k = 0; k < 5; k += 1) {
              extra += 1;
              await harness.store.append(
                streams[extra % 3] as string,
                [testEvent(`${prefix}-${extra}`, { n: extra })],
                NO_CONCURRENCY_CHECK,
              );
            }
          }
          const killAfter = 1 + Math.floor(random() * 12);
          let deliveredThisRun = 0;
          let subscription: Subscription | undefined;
          const stopped = new Promise<void>((resolve) => {
            subscription = store.subscribeToAll(
              {
                onEvent(event) {
                  project(model, event);
                  deliveredThisRun += 1;
                  if (deliveredThisRun % 4 === 0) storedCheckpoint = model.checkpoint;
                  if (deliveredThisRun === killAfter) {
                    void subscription?.close();
                    resolve();
                  }
                },
                onCaughtUp() {
                  resolve();
                },
              },
              { after: storedCheckpoint, pageSize: 7, pollIntervalMs: POLL_MS },
            );
            // A failed subscription must end the wait too; `await done` below then reports the error.
            subscription.done.then(resolve, resolve);
          });
          await stopped;
          await subscription?.close();
          await subscription?.done;
          if (harness.reopen && restarts % 3 === 0) store = await harness.reopen();
        }
        const rebuilt = emptyProjection();
        for (const event of await readAllEvents(harness.store)) project(rebuilt, event);
        expect(readModel(model)).toEqual(readModel(rebuilt));
        expect(rebuilt.applied).toBe(60);
        expect(model.skipped).toBeGreaterThan(0);
      }));

    const drop = "#19 a subscription drop surfaces as an error and resubscribes from the last checkpoint";
    if (!powers.dropConnections) {
      it.skip(`${drop} [adapter has no dropConnections hook]`, () => undefined);
    } else {
      it(drop, () =>
        withHarness(factory, async (harness) => {
          const { store } = harness;
          const dropConnections = harness.dropConnections?.bind(harness);
          if (!dropConnections) throw new Error("dropConnections vanished");
          const prefix = uniqueId("drop");
          await store.append(`${prefix}-h`, testEvents(`${prefix}-h`, 30), STREAM_DOES_NOT_EXIST);
          const model = emptyProjection();
          const failures: unknown[] = [];
          let dropped = false;
          let target = Number.POSITIVE_INFINITY;
          for (let attempt = 0; attempt <= MAX_RESUBSCRIBES && model.checkpoint < target; attempt += 1) {
            let failed = false;
            const subscription = store.subscribeToAll(
              { onEvent: (event) => project(model, event) },
              { after: model.checkpoint, pageSize: 10, pollIntervalMs: POLL_MS },
            );
            subscription.done.catch((error: unknown) => {
              failures.push(error);
              failed = true;
            });
            if (!dropped) {
              await subscription.caughtUp;
              dropped = true;
              await dropConnections();
              await appendWithRetry(store, `${prefix}-after`, testEvents(`${prefix}-a`, 20));
              target = (await store.head()).globalPosition;
            }
            await waitFor(
              () => failed || model.checkpoint >= target,
              "delivery to the head or a surfaced failure",
            );
            await subscription.close();
          }
          const all = await readAllEvents(store);
          expect(model.checkpoint).toBe(target);
          expect(readModel(model).applied).toBe(all.length);
          const rebuilt = emptyProjection();
          for (const event of all) project(rebuilt, event);
          expect(readModel(model)).toEqual(readModel(rebuilt));
          for (const failure of failures) expect(failure).toBeInstanceOf(Error);
        }),
      );
    }

    it("#20 filtered subscriptions still advance the checkpoint when matches are sparse", () =>
      withHarness(factory, async ({ store }) => {
        const prefix = uniqueId("sparse");
        const rareIds: string[] = [];
        for (let block = 0; block < 3; block += 1) {
          await store.append(
            `${prefix}-common`,
            testEvents(`${prefix}-c${block}`, 100, "ContractCommon"),
            block === 0 ? STREAM_DOES_NOT_EXIST : block * 100 + block,
          );
          const rareId = `${prefix}-rare-${block}`;
          rareIds.push(rareId);
          await store.append(
            `${prefix}-common`,
            [testEvent(rareId, {}, "ContractRare")],
            block * 100 + block + 100,
          );
        }
        await store.append(
          `${prefix}-tail`,
          testEvents(`${prefix}-t`, 40, "ContractCommon"),
          STREAM_DOES_NOT_EXIST,
        );
        const head = await store.head();

        const filtered = await readAllEvents(store, { eventTypes: ["ContractRare"], limit: 2 });
        expect(filtered.map((e) => e.eventId)).toEqual(rareIds);
        const lastRare = filtered.at(-1)?.globalPosition ?? 0;
        let after = lastRare;
        for (let pages = 0; pages < 1_000; pages += 1) {
          const page = await store.readAll({ after, limit: 2, eventTypes: ["ContractRare"] });
          expect(page.events).toEqual([]);
          expect(page.checkpoint).toBeGreaterThanOrEqual(after);
          after = page.checkpoint;
          if (page.isEnd) break;
        }
        expect(after).toBe(head.globalPosition);

        const delivered: string[] = [];
        const checkpoints: number[] = [];
        const subscription = store.subscribeToAll(
          { onEvent: (e) => void delivered.push(e.eventId), onCheckpoint: (c) => void checkpoints.push(c) },
          { eventTypes: ["ContractRare"], pageSize: 2, pollIntervalMs: POLL_MS },
        );
        const caughtUpAt = await subscription.caughtUp;
        await subscription.close();
        expect(delivered).toEqual(rareIds);
        expect(caughtUpAt).toBe(head.globalPosition);
        expect(checkpoints.at(-1)).toBe(head.globalPosition);
        expect(checkpoints.some((c) => c > lastRare)).toBe(true);
      }));

    it("#21 projection idempotency: delivering the same events twice leaves the read model unchanged", () =>
      withHarness(factory, async ({ store }) => {
        const prefix = uniqueId("idem");
        for (let n = 1; n <= 40; n += 1)
          await store.append(
            `${prefix}-${n % 4}`,
            [testEvent(`${prefix}-${n}`, { n })],
            NO_CONCURRENCY_CHECK,
          );
        const events = await readAllEvents(store);
        const once = emptyProjection();
        for (const e of events) project(once, e);
        const twice = emptyProjection();
        for (let round = 0; round < 2; round += 1) {
          // Each round is a full subscription from the start: the second one redelivers everything.
          const subscription = store.subscribeToAll(
            { onEvent: (e) => project(twice, e) },
            { pageSize: 9, pollIntervalMs: POLL_MS },
          );
          await subscription.caughtUp;
          await subscription.close();
        }
        expect(readModel(twice)).toEqual(readModel(once));
        expect(twice.skipped).toBe(events.length);
      }));
  });
}
