import { type EventStore, fixedClock, NO_CONCURRENCY_CHECK, STREAM_DOES_NOT_EXIST } from "@icm/event-store";
import { readAllEvents, runEventStoreContract, testEvents } from "@icm/event-store/contract";
import { uniqueTestName } from "@icm/testing";
import { describe, expect, it } from "vitest";
import { createEventStoreOnClient } from "./esdb-event-store.js";
import { eventUuid } from "./ids.js";
import { createStandInServer } from "./testing/stand-in-client.js";

const clock = fixedClock("2026-01-01T00:00:00.000Z");

// The adapter's own logic (revision mapping, idempotency, chain, paging, system-event skipping) on an
// in-process stand-in for the server; the real server runs the same contract in esdb.int.spec.ts.
runEventStoreContract("EventStoreDB adapter on an in-process stand-in server", async () => {
  const server = createStandInServer();
  const namespace = uniqueTestName("es");
  const opened: EventStore[] = [createEventStoreOnClient(server.client, { namespace, clock })];
  return {
    store: opened[0] as EventStore,
    tamper: server.tamper,
    async reopen() {
      const store = createEventStoreOnClient(server.connect(), { namespace, clock });
      opened.push(store);
      return store;
    },
    async cleanup() {
      for (const store of opened) await store.close();
    },
  };
});

describe("EventStoreDB adapter specifics (stand-in server)", () => {
  it("stores derived UUIDs, 0-based revisions and the chain in metadata; reads back 1-based positions", async () => {
    const server = createStandInServer();
    const store = createEventStoreOnClient(server.client, { namespace: "icm", clock });
    try {
      await store.append("deal-1", testEvents("d", 2), STREAM_DOES_NOT_EXIST);
      const ours = server.log.filter((r) => r.streamId === "icm:deal-1");
      expect(ours.map((r) => r.revision)).toEqual([0n, 1n]);
      expect(ours.map((r) => r.id)).toEqual([eventUuid("icm", "d-1"), eventUuid("icm", "d-2")]);
      const [first, second] = (await store.readStream("deal-1")).events;
      expect(first?.streamPosition).toBe(1);
      expect(second?.prevHash).toBe(first?.hash);
      expect(JSON.parse(ours[1]?.metadataJson ?? "{}")).toMatchObject({
        icm: { eventId: "d-2", prevHash: first?.hash },
      });
    } finally {
      await store.close();
    }
  });

  it("a second writer the adapter has not seen yet still turns into a version conflict or a caught-up append", async () => {
    const server = createStandInServer();
    const a = createEventStoreOnClient(server.client, { namespace: "icm", clock });
    const b = createEventStoreOnClient(server.connect(), { namespace: "icm", clock });
    try {
      await a.append("s", testEvents("a", 1), NO_CONCURRENCY_CHECK);
      // b catches up from $all before deciding, so its exact revision check sees a's write.
      await expect(b.append("s", testEvents("b", 1), 0)).rejects.toMatchObject({
        name: "ExpectedVersionConflictError",
        current: 1,
      });
      const appended = await b.append("s", testEvents("b", 1), NO_CONCURRENCY_CHECK);
      expect(appended.nextExpectedRevision).toBe(2);
      const all = await readAllEvents(a);
      expect(all.map((e) => e.eventId)).toEqual(["a-1", "b-1"]);
      expect(await a.verifyChain()).toMatchObject({ ok: true, checked: 2 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
