/**
 * Benchmarks that never read the shared generated dataset: `ingest` generates its events in memory (and
 * drops its own schema), `projector` builds its own log, `machine` is the probe. A run of only these must
 * leave the datasets alone: in round 10 `npm run bench -- machine` (no --keep) dropped the default-size
 * dataset that every other benchmark had kept, four minutes of generation to get it back.
 */
const WITHOUT_SHARED_DATASET: ReadonlySet<string> = new Set(["ingest", "projector", "machine"]);

/** Whether a run of `selected` ends by dropping the shared datasets (only without --keep, and only if it used them). */
export function dropsSharedDatasets(selected: readonly string[], keep: boolean): boolean {
  return !keep && selected.some((name) => !WITHOUT_SHARED_DATASET.has(name));
}
