import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { JsonObject, JsonValue } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InvalidAppendError } from "../port/errors.js";
import { isInvalidAppend } from "../port/errors.js";
import {
  type EventStore,
  NO_CONCURRENCY_CHECK,
  type ReadStreamOptions,
  STREAM_DOES_NOT_EXIST,
} from "../port/types.js";
import {
  type ContractFactory,
  readAllEvents,
  seededRandom,
  sleep,
  testEvent,
  testEvents,
  uniqueId,
  withHarness,
} from "./harness.js";

const noNul = (text: string) => !text.includes("\u0000");
const keyArb = fc.string({ unit: "grapheme", maxLength: 8 }).filter((k) => noNul(k) && k !== "__proto__");
const textArb = fc.string({ unit: "grapheme", maxLength: 12 }).filter(noNul);
const decimalStringArb = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.option(fc.stringMatching(/^[0-9]{1,20}$/)))
  .map(
    ([negative, whole, fraction]) =>
      `${negative ? "-" : ""}${whole}${fraction === null ? "" : `.${fraction}`}`,
  );
const bigIntegerStringArb = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String);
const instantArb = fc
  .date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2199-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const leafArb: fc.Arbitrary<JsonValue> = fc.oneof(
  textArb,
  decimalStringArb,
  bigIntegerStringArb,
  instantArb,
  fc.maxSafeInteger(),
  fc.boolean(),
  fc.constant(null),
);
const jsonArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    leafArb,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(keyArb, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;
const objectArb: fc.Arbitrary<JsonObject> = fc.dictionary(keyArb, jsonArb, {
  maxKeys: 6,
  noNullPrototype: true,
});

/** Forces a full GC when the runtime allows it, so heap readings measure live data, not garbage. */
function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

async function fill(
  store: EventStore,
  streams: readonly string[],
  perStream: number,
  idPrefix: string,
): Promise<void> {
  for (let n = 1; n <= perStream; n += 1) {
    for (const [s, streamId] of streams.entries()) {
      await store.append(streamId, [testEvent(`${idPrefix}-${s}-${n}`, { n, s })], NO_CONCURRENCY_CHECK);
    }
  }
}

export function declareReadBehaviours(factory: ContractFactory): void {
  describe("reading", () => {
    it("#11 read round trip: id, type, data and metadata survive exactly (property, 200 runs)", () =>
      withHarness(factory, async ({ store }) => {
        await fc.assert(
          fc.asyncProperty(
            textArb.filter((t) => t.length > 0 && t.length <= 40),
            objectArb,
            objectArb,
            fc.integer({ min: 1, max: 9 }),
            async (type, data, metadata, schemaVersion) => {
              const streamId = uniqueId("rt");
              const offered = { eventId: uniqueId("e"), type, schemaVersion, data, metadata };
              const head = await store.head();
              await store.append(streamId, [offered], STREAM_DOES_NOT_EXIST);
              const [fromStream] = (await store.readStream(streamId)).events;
              const fromAll = (await store.readAll({ after: head.globalPosition, limit: 1 })).events[0];
              for (const read of [fromStream, fromAll]) {
                expect(read).toBeDefined();
                const {
                  eventId,
                  type: readType,
                  schemaVersion: readVersion,
                  data: readData,
                  metadata: readMetadata,
                } = read as NonNullable<typeof read>;
                expect({
                  eventId,
                  type: readType,
                  schemaVersion: readVersion,
                  data: readData,
                  metadata: readMetadata,
                }).toStrictEqual(offered);
              }
            },
          ),
          { numRuns: 200 },
        );
      }));

    it("#11 strings no backend can store exactly (U+0000, lone surrogates) are refused on every adapter", () =>
      withHarness(factory, async ({ store }) => {
        const streamId = uniqueId("s");
        const cases: [JsonObject, string][] = [
          [{ note: "a\u0000b" }, "events[0].data.note"],
          [{ list: ["ok", "\uD800"] }, "events[0].data.list[1]"],
        ];
        for (const [data, path] of cases) {
          let caught: unknown;
          await store
            .append(streamId, [testEvent(uniqueId("e"), data)], NO_CONCURRENCY_CHECK)
            .catch((e: unknown) => {
              caught = e;
            });
          expect(isInvalidAppend(caught)).toBe(true);
          expect((caught as InvalidAppendError).path).toBe(path);
        }
        expect((await store.readStream(streamId)).streamExists).toBe(false);
      }));

    describe("#12 readStream from, to, maxCount, forwards and backwards", () => {
      const cases: { options: ReadStreamOptions; positions: number[] }[] = [
        { options: {}, positions: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
        { options: { from: 4 }, positions: [4, 5, 6, 7, 8, 9, 10] },
        { options: { from: 4, to: 6 }, positions: [4, 5, 6] },
        { options: { maxCount: 3 }, positions: [1, 2, 3] },
        { options: { from: 8, maxCount: 5 }, positions: [8, 9, 10] },
        { options: { from: 11 }, positions: [] },
        { options: { direction: "backwards" }, positions: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1] },
        { options: { direction: "backwards", maxCount: 3 }, positions: [10, 9, 8] },
        { options: { direction: "backwards", from: 5 }, positions: [5, 4, 3, 2, 1] },
        { options: { direction: "backwards", from: 7, to: 5 }, positions: [7, 6, 5] },
        { options: { direction: "forwards", from: 3, to: 9, maxCount: 2 }, positions: [3, 4] },
      ];
      it("#12 every option combination returns the expected positions", () =>
        withHarness(factory, async ({ store }) => {
          const streamId = uniqueId("s");
          await store.append(streamId, testEvents(uniqueId("a"), 4), STREAM_DOES_NOT_EXIST);
          await store.append(uniqueId("other"), testEvents(uniqueId("o"), 2), STREAM_DOES_NOT_EXIST);
          await store.append(streamId, testEvents(uniqueId("b"), 6), 4);
          for (const { options, positions } of cases) {
            const read = await store.readStream(streamId, options);
            expect({
              options,
              streamExists: read.streamExists,
              currentRevision: read.currentRevision,
              positions: read.events.map((e) => e.streamPosition),
            }).toEqual({
              options,
              streamExists: true,
              currentRevision: 10,
              positions,
            });
            for (const e of read.events) expect(e.streamId).toBe(streamId);
          }
        }));

      it("#12 a missing stream gives streamExists: false, not a throw", () =>
        withHarness(factory, async ({ store }) => {
          for (const direction of ["forwards", "backwards"] as const) {
            const read = await store.readStream(uniqueId("missing"), { direction });
            expect(read).toEqual({ streamExists: false, currentRevision: 0, events: [] });
          }
        }));
    });

    it("#13 large reads are paged: 20k events read page by page with bounded heap", () =>
      withHarness(factory, async ({ store }) => {
        const total = 20_000;
        const batch = 1_000;
        // ~1 KB per event, so holding all of them at once would cost well over 20 MB.
        const padding = "x".repeat(1_000);
        const prefix = uniqueId("big");
        for (let start = 0; start < total; start += batch) {
          const events = Array.from({ length: batch }, (_, i) =>
            testEvent(`${prefix}-${start + i + 1}`, { n: start + i + 1, padding }),
          );
          await store.append(`${prefix}-${start / batch}`, events, STREAM_DOES_NOT_EXIST);
        }
        const gc = gcFunction();
        gc?.();
        const baselineBytes = process.memoryUsage().heapUsed;
        let peakGrowthBytes = 0;
        let after = 0;
        let seen = 0;
        let previous = 0;
        const limit = 500;
        for (let pages = 0; pages <= total / limit + 1; pages += 1) {
          const page = await store.readAll({ after, limit });
          // Measured before collecting: whatever the adapter built to answer this one page is still here,
          // so an adapter that loads the whole log per call (even briefly) shows up.
          peakGrowthBytes = Math.max(peakGrowthBytes, process.memoryUsage().heapUsed - baselineBytes);
          expect(page.events.length).toBeLessThanOrEqual(limit);
          for (const e of page.events) {
            expect(e.globalPosition).toBeGreaterThan(previous);
            previous = e.globalPosition;
          }
          seen += page.events.length;
          if (page.isEnd) break;
          after = page.checkpoint;
          gc?.();
        }
        expect(seen).toBe(total);
        // One page is ~0.5 MB; the whole log is > 20 MB. Without a forced GC, leave room for young garbage.
        expect(peakGrowthBytes).toBeLessThan(gc ? 16 * 1024 * 1024 : 96 * 1024 * 1024);
      }));

    it("#14 global ordering: interleaved writers, every event exactly once, per-stream order kept", () =>
      withHarness(factory, async ({ store }) => {
        const streams = Array.from({ length: 5 }, (_, s) => uniqueId(`g${s}`));
        const prefix = uniqueId("g");
        await Promise.all(
          streams.map(async (streamId, s) => {
            for (let n = 1; n <= 12; n += 1) {
              await store.append(
                streamId,
                [testEvent(`${prefix}-${s}-${n}a`), testEvent(`${prefix}-${s}-${n}b`)],
                (n - 1) * 2,
              );
            }
          }),
        );
        const all = await readAllEvents(store, { limit: 7 });
        expect(all).toHaveLength(5 * 12 * 2);
        expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
        for (let i = 1; i < all.length; i += 1) {
          expect((all[i] as (typeof all)[number]).globalPosition).toBeGreaterThan(
            (all[i - 1] as (typeof all)[number]).globalPosition,
          );
        }
        for (const streamId of streams) {
          const inGlobalOrder = all.filter((e) => e.streamId === streamId).map((e) => e.eventId);
          const inStreamOrder = (await store.readStream(streamId)).events.map((e) => e.eventId);
          expect(inGlobalOrder).toEqual(inStreamOrder);
        }
      }));

    it("#15 no skipped events: a tailing reader racing many writers ends with exactly readAll's set", () =>
      withHarness(factory, async ({ store }) => {
        const random = seededRandom(15);
        const writers = 8;
        const appendsPerWriter = 20;
        const delaysMs = Array.from({ length: writers * appendsPerWriter }, () => Math.floor(random() * 4));
        const prefix = uniqueId("cw");
        let writing = true;
        const tailed: string[] = [];
        let after = 0;
        const tail = async () => {
          const page = await store.readAll({ after, limit: 37 });
          for (const e of page.events) tailed.push(e.eventId);
          after = page.checkpoint;
          return page.isEnd;
        };
        const reader = (async () => {
          while (writing) {
            await tail();
            await sleep(1);
          }
          for (let pages = 0; pages < 10_000 && !(await tail()); pages += 1) {
            // drain what the writers left behind
          }
        })();
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let n = 0; n < appendsPerWriter; n += 1) {
              await sleep(delaysMs[w * appendsPerWriter + n] ?? 0);
              const streamId = `${prefix}-${(w + n) % 3}`;
              await store.append(
                streamId,
                [testEvent(`${prefix}-${w}-${n}-a`), testEvent(`${prefix}-${w}-${n}-b`)],
                NO_CONCURRENCY_CHECK,
              );
            }
          }),
        );
        writing = false;
        await reader;
        const all = (await readAllEvents(store)).map((e) => e.eventId);
        expect(all).toHaveLength(writers * appendsPerWriter * 2);
        expect(tailed).toEqual(all);
      }));

    it("#16 read from a checkpoint (exclusive) returns exactly the suffix after it (property, 200 runs)", () =>
      withHarness(factory, async ({ store }) => {
        const streams = [uniqueId("c0"), uniqueId("c1"), uniqueId("c2")];
        await fill(store, streams, 20, uniqueId("cp"));
        const all = await readAllEvents(store);
        const last = all.at(-1)?.globalPosition ?? 0;
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: all.length + 2 }),
            fc.integer({ min: 1, max: 25 }),
            async (index, limit) => {
              const after =
                index === 0 ? 0 : index <= all.length ? (all[index - 1]?.globalPosition ?? 0) : last + index;
              const suffix = await readAllEvents(store, { after, limit });
              expect(suffix.map((e) => e.eventId)).toEqual(
                all.filter((e) => e.globalPosition > after).map((e) => e.eventId),
              );
            },
          ),
          { numRuns: 200 },
        );
      }));
  });
}
