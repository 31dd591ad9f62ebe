import { GENESIS_HASH, type JsonObject } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainVerifier, recordedEventHash, verifyBundleChain } from "./chain.js";
import { recordLog, sampleHistory } from "./test-fixture.js";
import type { RecordedEventLike } from "./types.js";

const RUNS = { numRuns: 200 };

/**
 * Imported by name at run time only: @icm/audit must stay free of the store package, in its build graph too,
 * and this test is the one place that pins our reimplementation of the link to the store's.
 */
const storePackage: string = "@icm/event-store";
type StoreChainHash = (
  prevHash: string,
  streamId: string,
  streamPosition: number,
  event: { eventId: string; type: string; schemaVersion: number; data: JsonObject; metadata: JsonObject },
) => string;
const { eventChainHash } = (await import(storePackage)) as { eventChainHash: StoreChainHash };

const jsonLeaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
const jsonObject: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.string(),
  fc.oneof(
    jsonLeaf,
    fc.array(jsonLeaf, { maxLength: 3 }),
    fc.dictionary(fc.string(), jsonLeaf, { maxKeys: 3 }),
  ),
  { maxKeys: 6 },
);
const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));
const eventArb = fc.record({
  eventId: fc.string({ minLength: 1 }),
  type: fc.string({ minLength: 1 }),
  schemaVersion: fc.integer({ min: 1, max: 5 }),
  data: jsonObject,
  metadata: jsonObject,
  streamId: fc.string({ minLength: 1 }),
  streamPosition: fc.integer({ min: 1, max: 1_000_000 }),
  globalPosition: fc.integer({ min: 1, max: 1_000_000 }),
  prevHash: hex,
  hash: hex,
});

describe("recordedEventHash", () => {
  it("law: gives the same hash as the store's eventChainHash for any event", () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        expect(recordedEventHash(event.prevHash, event)).toBe(
          eventChainHash(event.prevHash, event.streamId, event.streamPosition, event),
        );
      }),
      RUNS,
    );
  });

  it("does not cover the global position (assigned after the write by some backends)", () => {
    const [event] = recordLog(sampleHistory());
    if (event === undefined) throw new Error("empty fixture");
    expect(recordedEventHash(GENESIS_HASH, { ...event, globalPosition: 99 })).toBe(event.hash);
    expect(recordedEventHash(GENESIS_HASH, { ...event, streamPosition: 2 })).not.toBe(event.hash);
  });
});

describe("verifyBundleChain", () => {
  const log = recordLog(sampleHistory());

  it("accepts an intact log and reports its head", () => {
    const last = log[log.length - 1] as RecordedEventLike;
    expect(verifyBundleChain(log)).toEqual({
      ok: true,
      checked: log.length,
      head: { globalPosition: last.globalPosition, hash: last.hash },
    });
    expect(verifyBundleChain([])).toEqual({
      ok: true,
      checked: 0,
      head: { globalPosition: 0, hash: GENESIS_HASH },
    });
  });

  it("verifies a suffix from a trusted link", () => {
    const start = log[2] as RecordedEventLike;
    const result = verifyBundleChain(log.slice(3), {
      start: { globalPosition: start.globalPosition, hash: start.hash },
    });
    expect(result).toMatchObject({ ok: true, checked: log.length - 3 });
    expect(verifyBundleChain(log.slice(3))).toMatchObject({ ok: false, reason: "prev_hash_mismatch" });
  });

  it("law: an edited event is reported at its own position as a hash mismatch", () => {
    fc.assert(
      fc.property(fc.nat({ max: log.length - 1 }), fc.string(), (at, note) => {
        const target = log[at] as RecordedEventLike;
        fc.pre(target.data.note !== note);
        const tampered = log.map((e, i) => (i === at ? { ...e, data: { ...e.data, note } } : e));
        expect(verifyBundleChain(tampered)).toMatchObject({
          ok: false,
          checked: at,
          position: target.globalPosition,
          reason: "hash_mismatch",
        });
      }),
      RUNS,
    );
  });

  it("law: a deleted event is reported at the next event as a broken previous-hash link", () => {
    fc.assert(
      fc.property(fc.nat({ max: log.length - 2 }), (at) => {
        const tampered = log.filter((_, i) => i !== at);
        expect(verifyBundleChain(tampered)).toMatchObject({
          ok: false,
          checked: at,
          position: (log[at + 1] as RecordedEventLike).globalPosition,
          reason: "prev_hash_mismatch",
          expected: at === 0 ? GENESIS_HASH : (log[at - 1] as RecordedEventLike).hash,
          found: (log[at] as RecordedEventLike).hash,
        });
      }),
      RUNS,
    );
  });

  it("reports swapped events and non-increasing positions", () => {
    const swapped = [log[0], log[2], log[1], ...log.slice(3)] as RecordedEventLike[];
    expect(verifyBundleChain(swapped)).toMatchObject({
      ok: false,
      reason: "prev_hash_mismatch",
      checked: 1,
      position: (log[2] as RecordedEventLike).globalPosition,
    });
    const samePosition = log.map((e, i) =>
      i === 2 ? { ...e, globalPosition: (log[1] as RecordedEventLike).globalPosition } : e,
    );
    expect(verifyBundleChain(samePosition)).toMatchObject({
      ok: false,
      reason: "order_violation",
      position: 3,
    });
  });

  it("a streaming verifier refuses everything after the first break", () => {
    const verifier = new ChainVerifier();
    expect(verifier.push(log[0] as RecordedEventLike)).toBe(true);
    expect(verifier.push(log[2] as RecordedEventLike)).toBe(false);
    expect(verifier.push(log[1] as RecordedEventLike)).toBe(false);
    expect(verifier.result()).toMatchObject({
      ok: false,
      checked: 1,
      position: (log[2] as RecordedEventLike).globalPosition,
    });
  });
});
