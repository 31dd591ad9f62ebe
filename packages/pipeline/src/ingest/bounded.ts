/**
 * Runs `task` over `items` with at most `limit` running at once, results in input order. Every fan-out in
 * the pipeline goes through this, so no request can open an unbounded number of NATS requests.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!(limit >= 1)) throw new RangeError("limit must be at least 1");
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T, index);
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, items.length); w += 1) workers.push(worker());
  await Promise.all(workers);
  return results;
}
