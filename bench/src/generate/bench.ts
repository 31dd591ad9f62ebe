import { peakRssMiB, perSecond, timed } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";
import { datasetRef, dropDataset, openStore, type StoreKind } from "./dataset.js";
import { loadScenario } from "./load.js";

/**
 * The data generator wired to the stores: the seeded scenario streamed into PostgreSQL and into PGlite
 * (fresh datasets), then the hash chain walked end to end, which proves the batched rows are exactly what
 * the store's own append would have written.
 */
export async function generate(
  o: BenchOptions,
  kinds: readonly StoreKind[] = ["postgres", "pglite"],
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const kind of kinds) {
    const ref = datasetRef(o, kind);
    await dropDataset(ref, o);
    const store = await openStore(ref, o, 2);
    try {
      const load = await timed(() => loadScenario(store, o));
      const chain = await timed(() => store.verifyChain());
      out.push({
        store: kind,
        schema: ref.schema,
        events: load.value.events,
        deals: load.value.deals,
        reps: load.value.reps,
        periods: load.value.periods,
        countsByType: load.value.countsByType,
        loadMs: load.ms,
        eventsPerSecond: perSecond(load.value.events, load.ms),
        chainVerified: chain.value.ok,
        verifyChainMs: chain.ms,
        peakRssMiB: peakRssMiB(),
      });
    } finally {
      await store.close();
    }
  }
  return out;
}
