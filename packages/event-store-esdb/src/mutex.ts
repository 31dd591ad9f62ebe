/**
 * A process-local FIFO mutex: `run` executes one critical section at a time, in call order. Used to
 * serialise appends (the hash chain needs the previous hash) and the index catch-up they depend on.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    // The next section waits for this one to settle, whether it succeeded or not.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
