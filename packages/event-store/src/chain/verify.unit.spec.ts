import { GENESIS_HASH } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../memory/clock.js";
import { createInMemoryEventStore } from "../memory/in-memory-store.js";
import { eventChainHash } from "../port/hashing.js";
import type { ReadAllOptions, ReadAllPage, RecordedEvent } from "../port/types.js";
import { NO_CONCURRENCY_CHECK } from "../port/types.js";
import { verifyChainFrom } from "./verify.js";

async function recordedLog(count: number): Promise<RecordedEvent[]> {
  const store = createInMemoryEventStore({ clock: fixedClock("2026-01-01T00:00:00.000Z") });
  for (let i = 1; i <= count; i += 1) {
    await store.append(
      `s-${i % 3}`,
      [{ eventId: `e${i}`, type: "T", schemaVersion: 1, data: { n: i }, metadata: {} }],
      NO_CONCURRENCY_CHECK,
    );
  }
  const page = await store.readAll({ limit: 5_000 });
  await store.close();
  return [...page.events];
}

/** A readAll over a fixed array, as a tampered table would answer it (in array order). */
function readAllOver(log: readonly RecordedEvent[], reads?: ReadAllOptions[]) {
  return async (options: ReadAllOptions): Promise<ReadAllPage> => {
    reads?.push(options);
    const after = options.after ?? 0;
    const limit = options.limit ?? 500;
    const start = log.findIndex((e) => e.globalPosition > after);
    if (start < 0) return { events: [], checkpoint: after, isEnd: true };
    const events = log.slice(start, start + limit);
    const checkpoint = events.at(-1)?.globalPosition ?? after;
    return { events, checkpoint, isEnd: start + limit >= log.length };
  };
}

describe("verifyChainFrom", () => {
  it("an intact log verifies whatever the page size, reading one bounded page at a time", async () => {
    const log = await recordedLog(23);
    for (const pageSize of [1, 4, 23, 500]) {
      const reads: ReadAllOptions[] = [];
      const result = await verifyChainFrom(readAllOver(log, reads), { pageSize });
      expect(result).toEqual({ ok: true, checked: 23, head: { globalPosition: 23, hash: log[22]?.hash } });
      expect(reads.every((r) => r.limit === pageSize)).toBe(true);
    }
  });

  it("an empty log verifies with the genesis head", async () => {
    expect(await verifyChainFrom(readAllOver([]))).toEqual({
      ok: true,
      checked: 0,
      head: { globalPosition: 0, hash: GENESIS_HASH },
    });
  });

  it("stops at `to` and can start from a trusted head", async () => {
    const log = await recordedLog(10);
    expect(await verifyChainFrom(readAllOver(log), { to: 4, pageSize: 3 })).toEqual({
      ok: true,
      checked: 4,
      head: { globalPosition: 4, hash: log[3]?.hash },
    });
    const start = { globalPosition: 6, hash: log[5]?.hash as string };
    expect(await verifyChainFrom(readAllOver(log), { start })).toEqual({
      ok: true,
      checked: 4,
      head: { globalPosition: 10, hash: log[9]?.hash },
    });
    // A wrong trusted head is caught at the first event after it.
    expect(
      await verifyChainFrom(readAllOver(log), { start: { globalPosition: 6, hash: GENESIS_HASH } }),
    ).toMatchObject({
      ok: false,
      position: 7,
      reason: "prev_hash_mismatch",
    });
  });

  it("an edited row fails with hash_mismatch at that row", async () => {
    const log = await recordedLog(8);
    const edited = log.map((e) => (e.globalPosition === 5 ? { ...e, data: { n: 500 } } : e));
    expect(await verifyChainFrom(readAllOver(edited))).toEqual({
      ok: false,
      checked: 4,
      position: 5,
      reason: "hash_mismatch",
      expected: expect.stringMatching(/^[0-9a-f]{64}$/),
      found: log[4]?.hash,
    });
  });

  it("an edit whose own hash was recomputed still fails, at the next row", async () => {
    const log = await recordedLog(8);
    const forged = log.map((e) => {
      if (e.globalPosition !== 5) return e;
      const data = { n: 500 };
      return { ...e, data, hash: eventChainHash(e.prevHash, e.streamId, e.streamPosition, { ...e, data }) };
    });
    expect(await verifyChainFrom(readAllOver(forged))).toMatchObject({
      ok: false,
      position: 6,
      reason: "prev_hash_mismatch",
      checked: 5,
    });
  });

  it("a deleted row fails at the next row with prev_hash_mismatch", async () => {
    const log = await recordedLog(8);
    const gap = log.filter((e) => e.globalPosition !== 3);
    expect(await verifyChainFrom(readAllOver(gap))).toEqual({
      ok: false,
      checked: 2,
      position: 4,
      reason: "prev_hash_mismatch",
      expected: log[1]?.hash,
      found: log[2]?.hash,
    });
  });

  it("rows returned out of order fail with order_violation", async () => {
    const log = await recordedLog(6);
    const [a, b, c, ...rest] = log as [RecordedEvent, RecordedEvent, RecordedEvent, ...RecordedEvent[]];
    const shuffled = [a, c, b, ...rest];
    const result = await verifyChainFrom(readAllOver(shuffled), { pageSize: 10 });
    expect(result).toMatchObject({ ok: false });
    if (result.ok) return;
    expect(result.position).toBe(3);
    expect(["prev_hash_mismatch", "order_violation"]).toContain(result.reason);
    const repeated = [a, b, b, c];
    expect(await verifyChainFrom(readAllOver(repeated), { pageSize: 10 })).toMatchObject({
      ok: false,
      position: 2,
      reason: "order_violation",
    });
  });

  it("a readAll that never advances is reported, not looped on", async () => {
    const stuck = async (): Promise<ReadAllPage> => ({ events: [], checkpoint: 0, isEnd: false });
    expect(await verifyChainFrom(stuck)).toMatchObject({ ok: false, reason: "order_violation", position: 0 });
  });

  it("law: any single edit or deletion is reported at the first position it breaks (200 runs)", async () => {
    const log = await recordedLog(30);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 29 }),
        fc.constantFrom("edit", "delete"),
        fc.integer({ min: 1, max: 12 }),
        async (index, kind, pageSize) => {
          const target = log[index] as RecordedEvent;
          const tampered =
            kind === "edit"
              ? log.map((e, i) => (i === index ? { ...e, type: `${e.type}x` } : e))
              : log.filter((_, i) => i !== index);
          const result = await verifyChainFrom(readAllOver(tampered), { pageSize });
          if (kind === "delete" && index === log.length - 1) {
            // Deleting the head is invisible to the chain alone: the head hash recorded elsewhere catches it.
            expect(result).toMatchObject({
              ok: true,
              head: { globalPosition: log[index - 1]?.globalPosition },
            });
            return;
          }
          expect(result).toMatchObject({
            ok: false,
            checked: index,
            position: kind === "edit" ? target.globalPosition : log[index + 1]?.globalPosition,
            reason: kind === "edit" ? "hash_mismatch" : "prev_hash_mismatch",
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects a page size outside 1..MAX_PAGE_SIZE", async () => {
    await expect(verifyChainFrom(readAllOver([]), { pageSize: 0 })).rejects.toThrow(RangeError);
    await expect(verifyChainFrom(readAllOver([]), { pageSize: 5_001 })).rejects.toThrow(RangeError);
  });
});
