import { performance } from "node:perf_hooks";
import type { EventStore } from "@icm/event-store";

/** Told when one appendMany returned: its transaction has committed. */
export type OnCommit = (now: number, callMs: number, firstIds: readonly string[]) => void;

/**
 * The store the recorder writes through in the ingest benchmark: `onCommit` gets the moment each
 * appendMany returned (this thread's performance.now()), how long the call took, and the first event id of
 * every item it newly wrote (the recorder's items hold one event each). Everything else is the store's own.
 */
export function withCommitClock(store: EventStore, onCommit: OnCommit): EventStore {
  return {
    ...store,
    appendMany: async (items) => {
      const calledAt = performance.now();
      const outcomes = await store.appendMany(items);
      const now = performance.now();
      const firstIds: string[] = [];
      outcomes.forEach((outcome, i) => {
        if (!outcome.ok || outcome.result.idempotentReplay) return;
        const id = items[i]?.events[0]?.eventId;
        if (id !== undefined) firstIds.push(id);
      });
      onCommit(now, now - calledAt, firstIds);
      return outcomes;
    },
    append: (...args) => store.append(...args),
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    head: () => store.head(),
    verifyChain: (...args) => store.verifyChain(...args),
    close: () => store.close(),
  };
}
