import { describe, expect, it } from "vitest";
import { handleCommand } from "../command/handle-command.js";
import {
  type ExpectedVersionConflictError,
  IdempotencyConflictError,
  type InvalidAppendError,
  isExpectedVersionConflict,
  isIdempotencyConflict,
  isInvalidAppend,
  isPartialDuplicateAppend,
  type PartialDuplicateAppendError,
} from "../port/errors.js";
import { contentHash } from "../port/hashing.js";
import {
  type EventStore,
  type ExpectedRevision,
  MAX_APPEND_BATCH,
  NO_CONCURRENCY_CHECK,
  STREAM_DOES_NOT_EXIST,
  STREAM_EXISTS,
} from "../port/types.js";
import {
  type ContractFactory,
  readAllEvents,
  testEvent,
  testEvents,
  uniqueId,
  withHarness,
} from "./harness.js";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, it resolved");
}

/** Everything observable about the log, to prove that a failed append wrote nothing. */
async function snapshot(store: EventStore, streamId: string) {
  const [stream, all, head] = await Promise.all([
    store.readStream(streamId),
    readAllEvents(store),
    store.head(),
  ]);
  return { stream, allIds: all.map((e) => e.eventId), head };
}

export function declareAppendBehaviours(factory: ContractFactory): void {
  describe("appending", () => {
    it("#1 create-only append: STREAM_DOES_NOT_EXIST succeeds once, then conflicts", () =>
      withHarness(factory, async ({ store }) => {
        const streamId = uniqueId("s");
        const first = await store.append(streamId, [testEvent(uniqueId("e"))], STREAM_DOES_NOT_EXIST);
        expect(first.nextExpectedRevision).toBe(1);
        const error = await rejection(
          store.append(streamId, [testEvent(uniqueId("e"))], STREAM_DOES_NOT_EXIST),
        );
        expect(isExpectedVersionConflict(error)).toBe(true);
        const conflict = error as ExpectedVersionConflictError;
        expect(conflict.streamId).toBe(streamId);
        expect(conflict.expected).toBe(STREAM_DOES_NOT_EXIST);
        expect(conflict.current).toBe(1);
      }));

    it("#2 exact expected version: a match succeeds, a mismatch throws and writes nothing", () =>
      withHarness(factory, async ({ store }) => {
        const streamId = uniqueId("s");
        await store.append(streamId, testEvents(uniqueId("a"), 2), 0);
        const ok = await store.append(streamId, [testEvent(uniqueId("e"))], 2);
        expect(ok.nextExpectedRevision).toBe(3);
        const before = await snapshot(store, streamId);
        for (const stale of [0, 2, 4]) {
          const error = await rejection(store.append(streamId, testEvents(uniqueId("x"), 2), stale));
          expect(isExpectedVersionConflict(error)).toBe(true);
          expect((error as ExpectedVersionConflictError).expected).toBe(stale);
          expect((error as ExpectedVersionConflictError).current).toBe(3);
        }
        expect(await snapshot(store, streamId)).toEqual(before);
      }));

    describe("#3 STREAM_EXISTS and NO_CONCURRENCY_CHECK behave as named", () => {
      const cases: { expected: ExpectedRevision; existing: number; succeeds: boolean }[] = [
        { expected: STREAM_EXISTS, existing: 0, succeeds: false },
        { expected: STREAM_EXISTS, existing: 2, succeeds: true },
        { expected: NO_CONCURRENCY_CHECK, existing: 0, succeeds: true },
        { expected: NO_CONCURRENCY_CHECK, existing: 2, succeeds: true },
        { expected: STREAM_DOES_NOT_EXIST, existing: 0, succeeds: true },
        { expected: STREAM_DOES_NOT_EXIST, existing: 2, succeeds: false },
        { expected: 0, existing: 0, succeeds: true },
        { expected: 2, existing: 2, succeeds: true },
        { expected: 1, existing: 2, succeeds: false },
      ];
      for (const { expected, existing, succeeds } of cases) {
        it(`#3 ${String(expected)} on a stream with ${existing} events ${succeeds ? "appends" : "conflicts"}`, () =>
          withHarness(factory, async ({ store }) => {
            const streamId = uniqueId("s");
            if (existing > 0)
              await store.append(streamId, testEvents(uniqueId("pre"), existing), STREAM_DOES_NOT_EXIST);
            const attempt = store.append(streamId, [testEvent(uniqueId("e"))], expected);
            if (succeeds) {
              const result = await attempt;
              expect(result.nextExpectedRevision).toBe(existing + 1);
              expect(result.positions[0]?.streamPosition).toBe(existing + 1);
            } else {
              const error = await rejection(attempt);
              expect(isExpectedVersionConflict(error)).toBe(true);
              expect((error as ExpectedVersionConflictError).current).toBe(existing);
              expect((await store.readStream(streamId)).currentRevision).toBe(existing);
            }
          }));
      }
    });

    describe("#4 atomic multi-event append", () => {
      it("#4 a batch is written whole with contiguous stream positions", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("s");
          await store.append(streamId, testEvents(uniqueId("a"), 1), STREAM_DOES_NOT_EXIST);
          const result = await store.append(streamId, testEvents(uniqueId("b"), 5), 1);
          expect(result.positions.map((p) => p.streamPosition)).toEqual([2, 3, 4, 5, 6]);
          const globals = result.positions.map((p) => p.globalPosition);
          for (let i = 1; i < globals.length; i += 1)
            expect(globals[i]).toBeGreaterThan(globals[i - 1] as number);
          const read = await store.readStream(streamId);
          expect(read.events.map((e) => e.streamPosition)).toEqual([1, 2, 3, 4, 5, 6]);
        }));

      const invalidBatches: {
        name: string;
        path: string;
        build: (prefix: string) => Parameters<EventStore["append"]>[1];
      }[] = [
        {
          name: "a float in the last event's data",
          path: "events[2].data.amount",
          build: (p) => [...testEvents(p, 2), testEvent(`${p}-bad`, { amount: 0.1 })],
        },
        {
          name: "an unsafe integer deep in metadata",
          path: "events[1].metadata.trace[0].n",
          build: (p) => [
            testEvent(`${p}-1`),
            testEvent(`${p}-2`, {}, "ContractTested", { trace: [{ n: 2 ** 60 }] }),
          ],
        },
        {
          name: "a duplicate event id inside the batch",
          path: "events[2].eventId",
          build: (p) => [testEvent(`${p}-1`), testEvent(`${p}-2`), testEvent(`${p}-1`)],
        },
        { name: "an empty batch", path: "events", build: () => [] },
        {
          name: "a batch over MAX_APPEND_BATCH",
          path: "events",
          build: (p) => testEvents(p, MAX_APPEND_BATCH + 1),
        },
        { name: "an empty event type", path: "events[0].type", build: (p) => [testEvent(`${p}-1`, {}, "")] },
        {
          name: "a schemaVersion of 0",
          path: "events[1].schemaVersion",
          build: (p) => [testEvent(`${p}-1`), { ...testEvent(`${p}-2`), schemaVersion: 0 }],
        },
      ];
      for (const { name, path, build } of invalidBatches) {
        it(`#4 ${name} rejects the whole batch (InvalidAppendError at ${path}) and writes nothing`, () =>
          withHarness(factory, async ({ store }) => {
            const streamId = uniqueId("s");
            await store.append(streamId, testEvents(uniqueId("a"), 1), STREAM_DOES_NOT_EXIST);
            const before = await snapshot(store, streamId);
            const error = await rejection(store.append(streamId, build(uniqueId("b")), 1));
            expect(isInvalidAppend(error)).toBe(true);
            expect((error as InvalidAppendError).path).toBe(path);
            expect(await snapshot(store, streamId)).toEqual(before);
          }));
      }

      it("#4 a batch that conflicts on version after valid events writes none of them", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("s");
          await store.append(streamId, testEvents(uniqueId("a"), 2), STREAM_DOES_NOT_EXIST);
          const before = await snapshot(store, streamId);
          const error = await rejection(store.append(streamId, testEvents(uniqueId("b"), 50), 1));
          expect(isExpectedVersionConflict(error)).toBe(true);
          expect(await snapshot(store, streamId)).toEqual(before);
        }));
    });

    it("#5 optimistic concurrency under a race: exactly one of N writers wins", () =>
      withHarness(factory, async ({ store }) => {
        const streamId = uniqueId("s");
        await store.append(streamId, testEvents(uniqueId("a"), 1), STREAM_DOES_NOT_EXIST);
        const writers = 12;
        const outcomes = await Promise.allSettled(
          Array.from({ length: writers }, (_, w) =>
            store.append(streamId, testEvents(uniqueId(`w${w}`), 3), 1),
          ),
        );
        const won = outcomes.filter((o) => o.status === "fulfilled");
        const lost = outcomes.filter((o) => o.status === "rejected");
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(writers - 1);
        for (const o of lost)
          expect(isExpectedVersionConflict((o as PromiseRejectedResult).reason)).toBe(true);
        const read = await store.readStream(streamId);
        expect(read.currentRevision).toBe(4);
        expect(read.events.map((e) => e.streamPosition)).toEqual([1, 2, 3, 4]);
      }));

    describe("#6 conflict retry re-reads and re-decides", () => {
      it("#6 racing commands all land, each decided from the history it was appended after", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("counter");
          let decideCalls = 0;
          const commands = 6;
          const results = await Promise.all(
            Array.from({ length: commands }, (_, c) =>
              handleCommand(
                store,
                streamId,
                (history) => {
                  decideCalls += 1;
                  // The new value depends on the history: a stale decision would repeat a value.
                  return [testEvent(`${streamId}-cmd${c}`, { value: history.length + 1, command: c })];
                },
                { maxRetries: commands },
              ),
            ),
          );
          const read = await store.readStream(streamId);
          expect(read.events.map((e) => e.data.value)).toEqual([1, 2, 3, 4, 5, 6]);
          const attempts = results.reduce((sum, r) => sum + r.attempts, 0);
          expect(decideCalls).toBe(attempts);
          // Under a real race someone must have retried, and nothing decided stale was ever written.
          expect(attempts).toBeGreaterThanOrEqual(commands);
          for (const r of results) expect(r.appended?.idempotentReplay).toBe(false);
        }));

      it("#6 gives up after maxRetries conflicts with ExpectedVersionConflictError", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("contended");
          let decideCalls = 0;
          const error = await rejection(
            handleCommand(
              store,
              streamId,
              async (history) => {
                decideCalls += 1;
                // A competing writer always lands between our read and our append.
                await store.append(streamId, [testEvent(uniqueId("rival"))], NO_CONCURRENCY_CHECK);
                return [testEvent(uniqueId("mine"), { seen: history.length })];
              },
              { maxRetries: 3 },
            ),
          );
          expect(isExpectedVersionConflict(error)).toBe(true);
          expect(decideCalls).toBe(4);
          const read = await store.readStream(streamId);
          expect(read.events.every((e) => e.eventId.startsWith("rival-"))).toBe(true);
        }));
    });

    it("#7 revisions are normalised: empty = 0, after k events = k, positions 1..k", () =>
      withHarness(factory, async ({ store }) => {
        const streamId = uniqueId("s");
        const empty = await store.readStream(streamId);
        expect(empty.currentRevision).toBe(0);
        const r1 = await store.append(streamId, testEvents(uniqueId("a"), 1), 0);
        expect(r1.nextExpectedRevision).toBe(1);
        expect(r1.positions[0]?.streamPosition).toBe(1);
        const r2 = await store.append(streamId, testEvents(uniqueId("b"), 3), 1);
        expect(r2.nextExpectedRevision).toBe(4);
        const read = await store.readStream(streamId);
        expect(read.currentRevision).toBe(4);
        expect(read.events.map((e) => e.streamPosition)).toEqual([1, 2, 3, 4]);
      }));

    describe("#8 idempotent append by event id", () => {
      it("#8 retrying the identical batch returns the original positions and writes nothing", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("s");
          const batch = testEvents(uniqueId("a"), 3);
          const original = await store.append(streamId, batch, STREAM_DOES_NOT_EXIST);
          expect(original.idempotentReplay).toBe(false);
          const before = await snapshot(store, streamId);
          const retry = await store.append(streamId, batch, STREAM_DOES_NOT_EXIST);
          expect(retry.idempotentReplay).toBe(true);
          expect(retry.positions).toEqual(original.positions);
          expect(retry.nextExpectedRevision).toBe(3);
          expect(await snapshot(store, streamId)).toEqual(before);
        }));

      it("#8 a late retry after the stream moved on still gets its original positions", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("s");
          const batch = testEvents(uniqueId("a"), 2);
          const original = await store.append(streamId, batch, 0);
          await store.append(streamId, testEvents(uniqueId("b"), 2), 2);
          const retry = await store.append(streamId, batch, 0);
          expect(retry.idempotentReplay).toBe(true);
          expect(retry.positions).toEqual(original.positions);
          expect((await readAllEvents(store)).length).toBe(4);
        }));
    });

    describe("#9 same event id, different payload", () => {
      it("#9 a changed field is an IdempotencyConflictError naming both contents; nothing written", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("s");
          const id = uniqueId("e");
          const original = testEvent(id, { amount: "100.00" });
          await store.append(streamId, [original], STREAM_DOES_NOT_EXIST);
          const before = await snapshot(store, streamId);
          const changed = testEvent(id, { amount: "100.01" });
          const error = await rejection(store.append(streamId, [changed], STREAM_DOES_NOT_EXIST));
          expect(isIdempotencyConflict(error)).toBe(true);
          const [detail] = (error as IdempotencyConflictError).conflicts;
          expect(detail).toEqual({
            eventId: id,
            existingHash: contentHash(streamId, original),
            existingStreamId: streamId,
            existingStreamPosition: 1,
            offeredHash: contentHash(streamId, changed),
            offeredStreamId: streamId,
          });
          expect(await snapshot(store, streamId)).toEqual(before);
        }));

      it("#9 the same id and content offered to another stream is a conflict too", () =>
        withHarness(factory, async ({ store }) => {
          const event = testEvent(uniqueId("e"), { n: 1 });
          const home = uniqueId("home");
          const elsewhere = uniqueId("elsewhere");
          await store.append(home, [event], NO_CONCURRENCY_CHECK);
          const error = await rejection(store.append(elsewhere, [event], NO_CONCURRENCY_CHECK));
          expect(isIdempotencyConflict(error)).toBe(true);
          expect((error as IdempotencyConflictError).conflicts[0]?.existingStreamId).toBe(home);
          expect((error as IdempotencyConflictError).conflicts[0]?.offeredStreamId).toBe(elsewhere);
          expect((await store.readStream(elsewhere)).streamExists).toBe(false);
        }));

      it("#9 metadata is part of the content", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("s");
          const id = uniqueId("e");
          await store.append(
            streamId,
            [testEvent(id, {}, "ContractTested", { source: "crm" })],
            NO_CONCURRENCY_CHECK,
          );
          const error = await rejection(
            store.append(
              streamId,
              [testEvent(id, {}, "ContractTested", { source: "csv" })],
              NO_CONCURRENCY_CHECK,
            ),
          );
          expect(error).toBeInstanceOf(IdempotencyConflictError);
        }));
    });

    it("#10 a partially overlapping retry is rejected whole with PartialDuplicateAppendError", () =>
      withHarness(factory, async ({ store }) => {
        const streamId = uniqueId("s");
        const prefix = uniqueId("a");
        const firstTwo = testEvents(prefix, 2);
        await store.append(streamId, firstTwo, STREAM_DOES_NOT_EXIST);
        const before = await snapshot(store, streamId);
        const overlapping = testEvents(prefix, 4);
        const error = await rejection(store.append(streamId, overlapping, 2));
        expect(isPartialDuplicateAppend(error)).toBe(true);
        const partial = error as PartialDuplicateAppendError;
        expect(partial.streamId).toBe(streamId);
        expect([...partial.alreadyRecorded].sort()).toEqual([`${prefix}-1`, `${prefix}-2`]);
        expect([...partial.notRecorded].sort()).toEqual([`${prefix}-3`, `${prefix}-4`]);
        expect(await snapshot(store, streamId)).toEqual(before);
        // The caller's fix, re-sending only the new events, goes through.
        const rest = await store.append(streamId, overlapping.slice(2), 2);
        expect(rest.positions.map((p) => p.streamPosition)).toEqual([3, 4]);
      }));
  });
}
