import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyChainFrom } from "../chain/verify.js";
import { isExpectedVersionConflict } from "../port/errors.js";
import type { AppendResult, EventStore, EventToAppend, ExpectedRevision } from "../port/types.js";
import { NO_CONCURRENCY_CHECK } from "../port/types.js";
import { type ContractFactory, readAllEvents, testEvent, uniqueId, withHarness } from "./harness.js";

/** One writer's step in a random history. */
export interface LawOperation {
  readonly stream: number;
  readonly size: number;
  /** `exact` appends at the revision seen when its wave started; `any` uses NO_CONCURRENCY_CHECK. */
  readonly mode: "exact" | "any";
  /** Re-send the identical batch afterwards, as a writer that lost the acknowledgement would. */
  readonly retry: boolean;
  /** Run at the same time as the previous operation (same wave). */
  readonly concurrent: boolean;
}

const STREAMS_PER_RUN = 3;

export const lawOperationArb: fc.Arbitrary<LawOperation> = fc.record({
  stream: fc.integer({ min: 0, max: STREAMS_PER_RUN - 1 }),
  size: fc.integer({ min: 1, max: 2 }),
  mode: fc.constantFrom("exact", "any"),
  retry: fc.boolean(),
  concurrent: fc.boolean(),
});

/** At most 10 operations of at most 2 events: each run writes at most 20 events. */
export const lawHistoryArb = fc.array(lawOperationArb, { minLength: 1, maxLength: 10 });

interface Written {
  readonly streamId: string;
  readonly batch: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
  readonly result: AppendResult;
}

/**
 * The required law of the store: under any mix of appends, identical retries and concurrent writers,
 * - every append either succeeds or is a version conflict that only an `exact` writer in a crowded wave
 *   can get;
 * - an identical retry is an idempotent replay with the original positions;
 * - readAll returns each written event exactly once, in one order consistent with each stream's order,
 *   with contiguous stream positions, and nothing that was refused;
 * - the chain over what this run wrote verifies from the head it started at.
 * Each run uses fresh stream and event ids, so all runs can share one store.
 */
export function appendLawProperty(store: EventStore) {
  return fc.asyncProperty(lawHistoryArb, async (operations) => {
    const run = uniqueId("law");
    const streamIds = Array.from({ length: STREAMS_PER_RUN }, (_, s) => `${run}-s${s}`);
    const start = await store.head();
    const waves: { op: LawOperation; index: number }[][] = [];
    operations.forEach((op, index) => {
      const last = waves.at(-1);
      if (op.concurrent && last) last.push({ op, index });
      else waves.push([{ op, index }]);
    });

    const written: Written[] = [];
    for (const wave of waves) {
      const revisions = await Promise.all(
        streamIds.map(async (id) => (await store.readStream(id)).currentRevision),
      );
      const outcomes = await Promise.allSettled(
        wave.map(async ({ op, index }) => {
          const streamId = streamIds[op.stream] as string;
          const batch = Array.from({ length: op.size }, (_, k) =>
            testEvent(`${run}-${index}-${k}`, { op: index, k }),
          );
          const expected: ExpectedRevision =
            op.mode === "exact" ? (revisions[op.stream] as number) : NO_CONCURRENCY_CHECK;
          const result = await store.append(streamId, batch, expected);
          return { streamId, batch, expected, result };
        }),
      );
      outcomes.forEach((outcome, w) => {
        const { op } = wave[w] as { op: LawOperation };
        if (outcome.status === "fulfilled") {
          expect(outcome.value.result.idempotentReplay).toBe(false);
          written.push(outcome.value);
          return;
        }
        // Only an exact writer sharing its wave and stream with another writer may lose.
        const crowded = wave.filter((other) => other.op.stream === op.stream).length > 1;
        expect({
          conflict: isExpectedVersionConflict(outcome.reason),
          exact: op.mode === "exact",
          crowded,
        }).toEqual({
          conflict: true,
          exact: true,
          crowded: true,
        });
      });
      for (const { op, index } of wave) {
        if (!op.retry) continue;
        const original = written.find((w) => w.batch[0]?.eventId === `${run}-${index}-0`);
        if (!original) continue;
        const replay = await store.append(original.streamId, original.batch, original.expected);
        expect(replay.idempotentReplay).toBe(true);
        expect(replay.positions).toEqual(original.result.positions);
      }
    }

    const events = await readAllEvents(store, { after: start.globalPosition });
    const expectedIds = written.flatMap((w) => w.batch.map((e) => e.eventId)).sort();
    expect(events.map((e) => e.eventId).sort()).toEqual(expectedIds);
    for (const streamId of streamIds) {
      const inGlobalOrder = events.filter((e) => e.streamId === streamId);
      expect(inGlobalOrder.map((e) => e.streamPosition)).toEqual(inGlobalOrder.map((_, i) => i + 1));
      expect((await store.readStream(streamId)).events.map((e) => e.eventId)).toEqual(
        inGlobalOrder.map((e) => e.eventId),
      );
    }
    for (const w of written) {
      const positions = w.batch.map((b) => events.find((e) => e.eventId === b.eventId)?.streamPosition);
      expect(positions).toEqual(w.result.positions.map((p) => p.streamPosition));
    }
    const verification = await verifyChainFrom((options) => store.readAll(options), { start });
    expect(verification).toMatchObject({ ok: true, checked: events.length });
  });
}

export function declareContractLaws(factory: ContractFactory): void {
  describe("laws", () => {
    it("law: appends, identical retries and concurrent writers keep readAll exact, ordered and chained (200 runs)", () =>
      withHarness(factory, async ({ store }) => {
        await fc.assert(appendLawProperty(store), { numRuns: 200 });
        const verification = await store.verifyChain();
        expect(verification.ok).toBe(true);
      }));
  });
}
