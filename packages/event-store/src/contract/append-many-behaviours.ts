import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyChainFrom } from "../chain/verify.js";
import {
  EventStoreError,
  type ExpectedVersionConflictError,
  type IdempotencyConflictError,
  type InvalidAppendError,
  isExpectedVersionConflict,
  isIdempotencyConflict,
  isInvalidAppend,
  isPartialDuplicateAppend,
  type PartialDuplicateAppendError,
} from "../port/errors.js";
import {
  type AppendManyItem,
  type AppendManyOutcome,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  MAX_APPEND_BATCH,
  NO_CONCURRENCY_CHECK,
  type RecordedEvent,
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

function okResult(outcome: AppendManyOutcome | undefined) {
  if (outcome === undefined || !outcome.ok)
    throw new Error(`expected a successful item, got ${String(outcome?.error)}`);
  return outcome.result;
}

function failure(outcome: AppendManyOutcome | undefined): EventStoreError {
  if (outcome === undefined || outcome.ok) throw new Error("expected a refused item, got a success");
  return outcome.error;
}

export function declareAppendManyBehaviours(factory: ContractFactory): void {
  describe("appending many streams at once", () => {
    it("#26 per-item independence: a refused item writes nothing and does not affect the others", () =>
      withHarness(factory, async ({ store }) => {
        const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((s) => uniqueId(s)) as [
          string,
          string,
          string,
          string,
          string,
        ];
        const taken = uniqueId("taken");
        await store.append(a, [testEvent(taken, { n: 1 })], STREAM_DOES_NOT_EXIST);
        const start = await store.head();
        const fresh = [uniqueId("ok"), uniqueId("ok"), uniqueId("ok")] as const;
        const outcomes = await store.appendMany([
          { streamId: a, events: [testEvent(fresh[0])], expectedRevision: 1 },
          { streamId: b, events: [testEvent(uniqueId("x"))], expectedRevision: 5 },
          { streamId: c, events: [], expectedRevision: NO_CONCURRENCY_CHECK },
          { streamId: d, events: [testEvent(taken, { n: 2 })], expectedRevision: NO_CONCURRENCY_CHECK },
          {
            streamId: e,
            events: [testEvent(fresh[1]), testEvent(fresh[2])],
            expectedRevision: STREAM_DOES_NOT_EXIST,
          },
        ]);
        expect(outcomes).toHaveLength(5);
        expect(okResult(outcomes[0])).toMatchObject({ nextExpectedRevision: 2, idempotentReplay: false });
        const conflict = failure(outcomes[1]);
        expect(isExpectedVersionConflict(conflict)).toBe(true);
        expect((conflict as ExpectedVersionConflictError).current).toBe(0);
        const invalid = failure(outcomes[2]);
        expect(isInvalidAppend(invalid)).toBe(true);
        expect((invalid as InvalidAppendError).path).toBe("events");
        const idempotency = failure(outcomes[3]);
        expect(isIdempotencyConflict(idempotency)).toBe(true);
        expect((idempotency as IdempotencyConflictError).conflicts[0]).toMatchObject({
          eventId: taken,
          existingStreamId: a,
          offeredStreamId: d,
        });
        expect(okResult(outcomes[4])).toMatchObject({ nextExpectedRevision: 2, idempotentReplay: false });
        for (const refused of [b, c, d]) {
          expect(await store.readStream(refused)).toMatchObject({ streamExists: false, events: [] });
        }
        const written = await readAllEvents(store, { after: start.globalPosition });
        expect(written.map((w) => w.eventId)).toEqual([...fresh]);
      }));

    it("#27 in-batch visibility: an item sees the items before it in the same call", () =>
      withHarness(factory, async ({ store }) => {
        const s = uniqueId("s");
        const [e1, e2, e3] = [uniqueId("e1"), uniqueId("e2"), uniqueId("e3")];
        const outcomes = await store.appendMany([
          { streamId: s, events: [testEvent(e1, { n: 1 })], expectedRevision: STREAM_DOES_NOT_EXIST },
          { streamId: s, events: [testEvent(e2, { n: 2 })], expectedRevision: 1 },
          { streamId: s, events: [testEvent(e1, { n: 1 })], expectedRevision: NO_CONCURRENCY_CHECK },
          { streamId: s, events: [testEvent(e2, { n: 99 })], expectedRevision: NO_CONCURRENCY_CHECK },
          { streamId: s, events: [testEvent(e3)], expectedRevision: 0 },
          { streamId: s, events: [testEvent(e1, { n: 1 }), testEvent(e3)], expectedRevision: 2 },
          { streamId: s, events: [testEvent(e3)], expectedRevision: STREAM_EXISTS },
        ]);
        const first = okResult(outcomes[0]);
        expect(okResult(outcomes[1])).toMatchObject({ nextExpectedRevision: 2, idempotentReplay: false });
        const replay = okResult(outcomes[2]);
        expect(replay.idempotentReplay).toBe(true);
        expect(replay.positions).toEqual(first.positions);
        expect(replay.nextExpectedRevision).toBe(2);
        const idempotency = failure(outcomes[3]) as IdempotencyConflictError;
        expect(isIdempotencyConflict(idempotency)).toBe(true);
        expect(idempotency.conflicts[0]).toMatchObject({ eventId: e2, existingStreamPosition: 2 });
        const stale = failure(outcomes[4]) as ExpectedVersionConflictError;
        expect(isExpectedVersionConflict(stale)).toBe(true);
        expect(stale.current).toBe(2);
        const partial = failure(outcomes[5]) as PartialDuplicateAppendError;
        expect(isPartialDuplicateAppend(partial)).toBe(true);
        expect(partial.alreadyRecorded).toEqual([e1]);
        expect(partial.notRecorded).toEqual([e3]);
        expect(okResult(outcomes[6]).positions.map((p) => p.streamPosition)).toEqual([3]);
        const stream = await store.readStream(s);
        expect(stream.events.map((e) => [e.eventId, e.streamPosition, e.data])).toEqual([
          [e1, 1, { n: 1 }],
          [e2, 2, { n: 2 }],
          [e3, 3, {}],
        ]);
      }));

    it("#28 global order is item order, positions match the log, and the chain verifies", () =>
      withHarness(factory, async ({ store }) => {
        await store.append(uniqueId("before"), testEvents(uniqueId("b"), 2), NO_CONCURRENCY_CHECK);
        const start = await store.head();
        expect(await store.appendMany([])).toEqual([]);
        expect(await store.head()).toEqual(start);
        const streams = [uniqueId("x"), uniqueId("y"), uniqueId("z")];
        const items: AppendManyItem[] = [0, 1, 2, 0, 2, 1, 0].map((s, i) => ({
          streamId: streams[s] as string,
          events: testEvents(uniqueId(`i${i}`), 1 + (i % 3)),
          expectedRevision: NO_CONCURRENCY_CHECK,
        }));
        const outcomes = await store.appendMany(items);
        const written = await readAllEvents(store, { after: start.globalPosition });
        expect(written.map((e) => e.eventId)).toEqual(
          items.flatMap((item) => item.events.map((e) => e.eventId)),
        );
        const positions = outcomes.flatMap((o) => okResult(o).positions);
        expect(positions).toEqual(
          written.map((e) => ({
            eventId: e.eventId,
            streamPosition: e.streamPosition,
            globalPosition: e.globalPosition,
          })),
        );
        for (const streamId of streams) {
          const ours = written.filter((e) => e.streamId === streamId);
          expect(ours.map((e) => e.streamPosition)).toEqual(ours.map((_, i) => i + 1));
        }
        const last = written.at(-1) as RecordedEvent;
        expect(await store.head()).toEqual({ globalPosition: last.globalPosition, hash: last.hash });
        expect(await store.verifyChain()).toMatchObject({ ok: true });
      }));

    it(`#29 bound: more than ${MAX_APPEND_BATCH} events or items in one call rejects the whole call, nothing written`, () =>
      withHarness(factory, async ({ store }) => {
        const start = await store.head();
        const half = Math.ceil((MAX_APPEND_BATCH + 1) / 2);
        const tooMany = await rejection(
          store.appendMany([
            { streamId: uniqueId("a"), events: testEvents(uniqueId("a"), half), expectedRevision: 0 },
            { streamId: uniqueId("b"), events: testEvents(uniqueId("b"), half), expectedRevision: 0 },
          ]),
        );
        expect(isInvalidAppend(tooMany)).toBe(true);
        expect((tooMany as InvalidAppendError).path).toBe("items");
        const tooManyItems = await rejection(
          store.appendMany(
            Array.from({ length: MAX_APPEND_BATCH + 1 }, () => ({
              streamId: uniqueId("c"),
              events: [],
              expectedRevision: NO_CONCURRENCY_CHECK,
            })),
          ),
        );
        expect(isInvalidAppend(tooManyItems)).toBe(true);
        expect(await store.head()).toEqual(start);
      }));

    it("#30 law: appendMany(items) = append() of each item in turn on a fresh store: same events, hashes, outcomes (200 runs)", () =>
      withHarness(factory, ({ store: batched }) =>
        withHarness(factory, async ({ store: sequential }) => {
          await fc.assert(equivalenceProperty(batched, sequential), { numRuns: 200 });
          expect(await batched.verifyChain()).toMatchObject({ ok: true });
        }),
      ));
  });
}

interface ItemSpec {
  readonly stream: number;
  readonly events: readonly { readonly id: number; readonly variant: number }[];
  readonly expected: ExpectedRevision;
}

/** Few streams and ids, so that replays, conflicts and partial duplicates are frequent. */
const itemSpecArb: fc.Arbitrary<ItemSpec> = fc.record({
  stream: fc.integer({ min: 0, max: 2 }),
  events: fc.array(
    fc.record({ id: fc.integer({ min: 0, max: 6 }), variant: fc.integer({ min: 0, max: 4 }) }),
    { minLength: 0, maxLength: 3 },
  ),
  expected: fc.oneof(
    fc.constant<ExpectedRevision>(NO_CONCURRENCY_CHECK),
    fc.constant<ExpectedRevision>(STREAM_DOES_NOT_EXIST),
    fc.constant<ExpectedRevision>(STREAM_EXISTS),
    fc.integer({ min: 0, max: 4 }),
  ),
});

/** One to three calls of up to six items: later calls meet committed rows, each call meets its own. */
const callsArb = fc.array(fc.array(itemSpecArb, { minLength: 1, maxLength: 6 }), {
  minLength: 1,
  maxLength: 3,
});

function toItems(run: string, specs: readonly ItemSpec[]): AppendManyItem[] {
  return specs.map((spec) => ({
    streamId: `${run}-s${spec.stream}`,
    // Variant 4 changes the content: the same id then conflicts instead of replaying.
    events: spec.events.map(
      (e): EventToAppend => testEvent(`${run}-e${e.id}`, { v: e.variant === 4 ? 1 : 0 }),
    ),
    expectedRevision: spec.expected,
  }));
}

/** An outcome with global positions replaced by their rank in this run's log (adapters number differently). */
function comparable(outcome: AppendManyOutcome, rank: ReadonlyMap<number, number>): unknown {
  if (!outcome.ok)
    return { error: { ...outcome.error, name: outcome.error.name, message: outcome.error.message } };
  return {
    ...outcome.result,
    positions: outcome.result.positions.map((p) => ({ ...p, globalPosition: rank.get(p.globalPosition) })),
  };
}

function comparableEvents(events: readonly RecordedEvent[]): {
  events: unknown[];
  rank: Map<number, number>;
} {
  const rank = new Map(events.map((e, i) => [e.globalPosition, i + 1]));
  return { events: events.map((e) => ({ ...e, globalPosition: rank.get(e.globalPosition) })), rank };
}

/**
 * Both stores start each run in the same state (the law held on every earlier run), so the chain hashes of
 * this run's events must match exactly, not only their ids.
 */
export function equivalenceProperty(batched: EventStore, sequential: EventStore) {
  return fc.asyncProperty(callsArb, async (calls) => {
    const run = uniqueId("eq");
    const [startBatched, startSequential] = [await batched.head(), await sequential.head()];
    expect(startBatched.hash).toBe(startSequential.hash);
    const batchedOutcomes: AppendManyOutcome[] = [];
    const sequentialOutcomes: AppendManyOutcome[] = [];
    for (const specs of calls) {
      const items = toItems(run, specs);
      batchedOutcomes.push(...(await batched.appendMany(items)));
      for (const item of items) {
        try {
          const result = await sequential.append(item.streamId, item.events, item.expectedRevision);
          sequentialOutcomes.push({ ok: true, result });
        } catch (error) {
          if (!(error instanceof EventStoreError)) throw error;
          sequentialOutcomes.push({ ok: false, error });
        }
      }
    }
    const left = comparableEvents(await readAllEvents(batched, { after: startBatched.globalPosition }));
    const right = comparableEvents(
      await readAllEvents(sequential, { after: startSequential.globalPosition }),
    );
    expect(left.events).toEqual(right.events);
    expect(batchedOutcomes.map((o) => comparable(o, left.rank))).toEqual(
      sequentialOutcomes.map((o) => comparable(o, right.rank)),
    );
    const verification = await verifyChainFrom((options) => batched.readAll(options), {
      start: startBatched,
    });
    expect(verification).toMatchObject({ ok: true, checked: left.events.length });
  });
}
