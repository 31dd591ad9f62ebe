/** What `nextTurn` resolves with: the source had nothing more ready. */
const NOT_YET = Symbol("not yet");

/** Resolves after pending I/O callbacks (setImmediate runs after the poll phase): "is anything else ready?". */
function nextTurn(): Promise<typeof NOT_YET> {
  return new Promise((resolve) => setImmediate(() => resolve(NOT_YET)));
}

/**
 * Regroups an async source into arrays of what is already available, at most `maxSize` each, in order.
 * A group is handed out as soon as the source has nothing more ready, so a lone message is never held
 * back waiting for company (no added latency), while a burst arrives as one group (one store call).
 * Every item of the source is yielded exactly once; the source is read to its end.
 */
export async function* groupsOf<T>(source: AsyncIterable<T>, maxSize: number): AsyncGenerator<T[]> {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`maxSize must be >= 1, got ${maxSize}`);
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined = iterator.next();
  while (pending !== undefined) {
    const first: IteratorResult<T> = await pending;
    pending = undefined;
    if (first.done) return;
    const group: T[] = [first.value];
    let ended = false;
    while (group.length < maxSize) {
      const next = iterator.next();
      const ready = await Promise.race([next, nextTurn()]);
      if (ready === NOT_YET) {
        pending = next;
        break;
      }
      if (ready.done) {
        ended = true;
        break;
      }
      group.push(ready.value);
    }
    if (pending === undefined && !ended) pending = iterator.next();
    yield group;
  }
}
