import { runEventStoreContract } from "../contract/index.js";
import { fixedClock } from "./clock.js";
import { createInMemoryEventStoreWithHooks } from "./in-memory-store.js";

runEventStoreContract("in-memory", async () => {
  const { store, hooks } = createInMemoryEventStoreWithHooks({
    clock: fixedClock("2026-03-31T12:00:00.000Z"),
  });
  return {
    store,
    tamper: { editData: hooks.editData, deleteEvent: hooks.deleteEvent, swapPositions: hooks.swapPositions },
    // More consecutive failures than the subscription's retry policy tolerates: the drop must surface.
    dropConnections: async () => hooks.failNextReads(8),
    cleanup: () => store.close(),
  };
});
