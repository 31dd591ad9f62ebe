import { Engine } from "@icm/engine";
import { toEngineInputs } from "@icm/workflows";
import { datasetRef, openStore } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { progress } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";
import { readPages } from "./read.js";

/**
 * The facts' live heap after applying the whole log: an engine that keeps no log (a replay, a verify) and
 * one that keeps it for what-if and diff (a workspace). Each is measured after two full collections, with
 * the other already dropped, so the figure is what the facts hold, not what a run left behind.
 */
export async function factsHeap(o: BenchOptions): Promise<Record<string, unknown>> {
  const ref = datasetRef(o, "postgres");
  const dataset = await ensureDataset(ref, o);
  const figures: Record<string, number> = {};
  for (const keepLog of [false, true]) {
    progress(`heap: applying ${dataset.events} events, keepLog ${keepLog}`);
    const store = await openStore(ref, o, 2);
    let engine: Engine | undefined = new Engine({ keepLog });
    try {
      await readPages(store, undefined, (page) => {
        const { inputs, error } = toEngineInputs(page);
        for (const input of inputs) engine?.apply(input);
        if (error !== undefined) throw error;
      });
    } finally {
      await store.close();
    }
    const position = engine.lastPosition;
    figures[keepLog ? "withLogMiB" : "withoutLogMiB"] = liveHeapMiB();
    figures[keepLog ? "withLogRssMiB" : "withoutLogRssMiB"] = Math.round(process.memoryUsage().rss / 2 ** 20);
    if (position !== dataset.events)
      throw new Error(`applied through ${position}, expected ${dataset.events}`);
    engine = undefined;
  }
  return { events: dataset.events, ...figures };
}

/** Live heap after two full collections (the harness starts children with --expose-gc). */
function liveHeapMiB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error("the heap benchmark needs --expose-gc (run it through npm run bench)");
  gc();
  gc();
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
}
