import { datasetRef, openStore } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { progress } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";
import { readPages } from "./read.js";
import { heapMiB, Rebuild } from "./rebuild.js";

/**
 * The facts' live heap after applying the whole log: an engine that keeps no log (a replay, a verify) and
 * one that keeps it for what-if and diff (a workspace). Each is measured after a full collection, with the
 * other already dropped, so the figure is what the facts hold, not what a run left behind.
 */
export async function factsHeap(o: BenchOptions): Promise<Record<string, unknown>> {
  if ((globalThis as { gc?: () => void }).gc === undefined)
    throw new Error("the heap benchmark needs --expose-gc (run it through npm run bench)");
  const ref = datasetRef(o, "postgres");
  const dataset = await ensureDataset(ref, o);
  const figures: Record<string, number> = {};
  for (const keepLog of [false, true]) {
    progress(`heap: applying ${dataset.events} events, keepLog ${keepLog}`);
    const store = await openStore(ref, o, 2);
    // Dropped at the end of the iteration: the next engine is measured without this one.
    const rebuild = new Rebuild({ index: 0, count: 1 }, keepLog);
    try {
      await readPages(store, rebuild);
    } finally {
      await store.close();
    }
    if (rebuild.lastPosition !== dataset.events)
      throw new Error(`applied through ${rebuild.lastPosition}, expected ${dataset.events}`);
    figures[keepLog ? "withLogMiB" : "withoutLogMiB"] = heapMiB();
    figures[keepLog ? "withLogRssMiB" : "withoutLogRssMiB"] = Math.round(process.memoryUsage().rss / 2 ** 20);
  }
  return { events: dataset.events, ...figures };
}
