import type { BenchOptions } from "../harness/options.js";
import { type DatasetRef, openStore } from "./dataset.js";
import { type LoadFigures, loadScenario } from "./load.js";

/** Loads the dataset unless an earlier benchmark of the run already did; returns the load figures. */
export async function ensureDataset(ref: DatasetRef, o: BenchOptions): Promise<LoadFigures> {
  const store = await openStore(ref, o, 2);
  try {
    return await loadScenario(store, o);
  } finally {
    await store.close();
  }
}
