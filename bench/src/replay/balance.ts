/**
 * Which reps each replay worker computes statements for. A rep's statements cost about its own deals plus a
 * share of every deal of everyone who ever reported to them (the overlay lines), so a round-robin split by
 * rep id leaves the worker holding the top of the hierarchy working alone at the end (measured at 1,000
 * reps: the VP's twelve statements are ~3 s, an ordinary rep's ~18 ms). Longest-first greedy assignment
 * (LPT) on that estimate evens the workers out.
 *
 * Deterministic: every worker has applied the same log, so each computes the same assignment on its own
 * (ties broken by rep id, then by worker index) and no coordination is needed.
 */

/**
 * Cost of one report's deals in a manager's overlay relative to the rep's own deals. Measured: 1,000 reps
 * (every statement of the year) 0.13–0.15; 10,000 reps (one quarter, `by-rep`) ~0.22.
 */
export const OVERLAY_COST_PER_REPORT = 1 / 6;

/** The `index`-th of `count` workers' reps, sorted by id. `reportsOf` counts everyone who ever reported. */
export function repsOfWorker(
  repIds: readonly string[],
  reportsOf: (repId: string) => number,
  index: number,
  count: number,
): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`worker count must be ≥ 1, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new RangeError(`worker index must be 0..${count - 1}, got ${index}`);
  const weighted = repIds.map((repId) => ({ repId, weight: 1 + OVERLAY_COST_PER_REPORT * reportsOf(repId) }));
  weighted.sort((a, b) => b.weight - a.weight || (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const mine: string[] = [];
  for (const { repId, weight } of weighted) {
    let least = 0;
    for (let w = 1; w < count; w += 1) if ((load[w] as number) < (load[least] as number)) least = w;
    load[least] = (load[least] as number) + weight;
    if (least === index) mine.push(repId);
  }
  return mine.sort();
}
