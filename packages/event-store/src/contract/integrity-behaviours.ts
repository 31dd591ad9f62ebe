import { describe, expect, it } from "vitest";
import type { EventStore } from "../port/types.js";
import { STREAM_DOES_NOT_EXIST } from "../port/types.js";
import { DETERMINISM_HEAD_HASH, expectedDeterminismOutcome, runDeterminismScript } from "./determinism.js";
import {
  type ContractFactory,
  type HarnessPowers,
  readAllEvents,
  sleep,
  testEvent,
  testEvents,
  uniqueId,
  withHarness,
} from "./harness.js";

/** Method names an append-only store must not have (behaviour 24). */
export const FORBIDDEN_MUTATORS = [
  "update",
  "updateEvent",
  "delete",
  "deleteEvent",
  "deleteStream",
  "remove",
  "truncate",
  "truncateStream",
  "tombstone",
  "setStreamMetadata",
  "replace",
] as const;

/**
 * Never called: it exists for the type checker. If someone adds a mutator to EventStore, the
 * @ts-expect-error lines stop being errors and the build fails.
 */
export function appendOnlyTypeCheck(store: EventStore): unknown[] {
  return [
    // @ts-expect-error the port has no update
    store.update,
    // @ts-expect-error the port has no delete
    store.delete,
    // @ts-expect-error the port has no deleteStream
    store.deleteStream,
    // @ts-expect-error the port has no truncate
    store.truncate,
    // @ts-expect-error the port has no tombstone
    store.tombstone,
  ];
}

/** Counts of active libuv resources by kind ("Timeout", "TCPSocketWrap", ...). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function leaked(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [kind, count] of [...after.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const extra = count - (before.get(kind) ?? 0);
    if (extra > 0) out.push(`${kind} x${extra}`);
  }
  return out;
}

async function seed(store: EventStore, count: number): Promise<void> {
  const prefix = uniqueId("chain");
  for (let s = 0; s < count / 5; s += 1) {
    await store.append(
      `${prefix}-${s}`,
      testEvents(`${prefix}-${s}`, 5).map((e, i) => ({ ...e, data: { n: i, amount: `${s}.${i}0` } })),
      STREAM_DOES_NOT_EXIST,
    );
  }
}

export function declareIntegrityBehaviours(factory: ContractFactory, powers: HarnessPowers): void {
  describe("integrity", () => {
    it("#22 cross-adapter determinism: the fixed command script gives the in-memory store's hash sequence", () =>
      withHarness(factory, async ({ store }) => {
        const expected = await expectedDeterminismOutcome();
        const actual = await runDeterminismScript(store);
        expect(actual.hashes).toEqual(expected.hashes);
        expect(actual.headHash).toBe(expected.headHash);
        expect(actual.headHash).toBe(DETERMINISM_HEAD_HASH);
        expect(actual.hashes).toHaveLength(6);
      }));

    it("#23 hash chain: each event links to the previous one and an untouched log verifies", () =>
      withHarness(factory, async ({ store }) => {
        await seed(store, 30);
        const all = await readAllEvents(store);
        const head = await store.head();
        expect(all[0]?.prevHash).toBe("0".repeat(64));
        for (let i = 1; i < all.length; i += 1) expect(all[i]?.prevHash).toBe(all[i - 1]?.hash);
        expect(await store.verifyChain()).toEqual({ ok: true, checked: 30, head });
        const middle = all[14];
        expect(await store.verifyChain({ to: middle?.globalPosition ?? 0 })).toEqual({
          ok: true,
          checked: 15,
          head: { globalPosition: middle?.globalPosition, hash: middle?.hash },
        });
      }));

    const tamperTitle = "#23 tamper detection: an edited row fails with hash_mismatch at that row";
    const deleteTitle = "#23 tamper detection: a deleted row fails at the next row with prev_hash_mismatch";
    const swapTitle = "#23 tamper detection: two swapped rows fail at the first of them";
    if (!powers.tamper) {
      it.skip(`${tamperTitle} [adapter has no tamper hook]`, () => undefined);
      it.skip(`${deleteTitle} [adapter has no tamper hook]`, () => undefined);
    } else {
      it(tamperTitle, () =>
        withHarness(factory, async ({ store, tamper }) => {
          await seed(store, 20);
          const target = (await readAllEvents(store))[11];
          if (!tamper || !target) throw new Error("tamper hook or seeded event missing");
          await tamper.editData(target.globalPosition, { ...target.data, amount: "999999.99" });
          const verification = await store.verifyChain();
          expect(verification).toMatchObject({
            ok: false,
            position: target.globalPosition,
            reason: "hash_mismatch",
            found: target.hash,
            checked: 11,
          });
        }),
      );
      it(deleteTitle, () =>
        withHarness(factory, async ({ store, tamper }) => {
          await seed(store, 20);
          const all = await readAllEvents(store);
          const [removed, next] = [all[7], all[8]];
          if (!tamper || !removed || !next) throw new Error("tamper hook or seeded event missing");
          await tamper.deleteEvent(removed.globalPosition);
          const verification = await store.verifyChain();
          expect(verification).toMatchObject({
            ok: false,
            position: next.globalPosition,
            reason: "prev_hash_mismatch",
            expected: all[6]?.hash,
            found: removed.hash,
          });
        }),
      );
    }
    if (!powers.swapPositions) {
      it.skip(`${swapTitle} [adapter has no swapPositions tamper hook]`, () => undefined);
    } else {
      it(swapTitle, () =>
        withHarness(factory, async ({ store, tamper }) => {
          await seed(store, 20);
          const all = await readAllEvents(store);
          const [a, b] = [all[4], all[12]];
          if (!tamper?.swapPositions || !a || !b) throw new Error("swap hook or seeded event missing");
          await tamper.swapPositions(a.globalPosition, b.globalPosition);
          const verification = await store.verifyChain();
          expect(verification.ok).toBe(false);
          if (verification.ok) return;
          expect(verification.position).toBe(a.globalPosition);
          expect(["prev_hash_mismatch", "order_violation", "hash_mismatch"]).toContain(verification.reason);
        }),
      );
    }

    it("#24 append-only: the store has no update or delete method (type-level and at runtime)", () =>
      withHarness(factory, async ({ store }) => {
        expect(appendOnlyTypeCheck(store)).toEqual([undefined, undefined, undefined, undefined, undefined]);
        for (const name of FORBIDDEN_MUTATORS) {
          expect({ name, present: name in store }).toEqual({ name, present: false });
        }
      }));

    it("#25 clean shutdown: close() leaves no timers, sockets or subscriptions behind", async () => {
      const before = activeResources();
      await withHarness(factory, async ({ store }) => {
        await store.append(uniqueId("s"), testEvents(uniqueId("e"), 5), STREAM_DOES_NOT_EXIST);
        const delivered: string[] = [];
        // One subscription left open on purpose: closing the store must stop it.
        const subscription = store.subscribeToAll(
          { onEvent: (e) => void delivered.push(e.eventId) },
          { pollIntervalMs: 10 },
        );
        await subscription.caughtUp;
        await store.append(uniqueId("s"), [testEvent(uniqueId("live"))], STREAM_DOES_NOT_EXIST);
        await store.close();
        await expect(subscription.done).resolves.toBeUndefined();
        await store.close();
        await expect(
          store.append(uniqueId("s"), [testEvent(uniqueId("late"))], STREAM_DOES_NOT_EXIST),
        ).rejects.toThrow();
      });
      // Handles can take a few event-loop turns to be released after their close callbacks.
      let extra = leaked(before, activeResources());
      for (let turns = 0; turns < 100 && extra.length > 0; turns += 1) {
        await sleep(10);
        extra = leaked(before, activeResources());
      }
      expect(extra).toEqual([]);
    });
  });
}
