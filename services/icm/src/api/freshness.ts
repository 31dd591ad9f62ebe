/**
 * Coalesces "bring the workspace up to the store's head" calls. Every read route refreshes first so events
 * recorded by other processes are visible; under 200 concurrent readers, one store read per request through
 * the workspace's serialising queue made every request wait for all the reads queued before it.
 *
 * Guarantee kept: the promise a caller gets settles from a refresh that STARTED after the call, so a read
 * sees every event committed before the request arrived (read-your-writes for any writer, not only this
 * process). A refresh already running when a caller arrives may have read the head before the caller's
 * write committed, so late callers do not join it: they share the one refresh queued behind it. At most one
 * refresh runs and at most one waits, whatever the number of callers.
 */
export function coalescedRefresh(refresh: () => Promise<number>): () => Promise<number> {
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;

  const start = (): Promise<number> => {
    const run = refresh();
    running = run;
    // Clear only if still ours; a failure is the callers' to handle (they get the rejection), never kept.
    const clear = () => {
      if (running === run) running = undefined;
    };
    run.then(clear, clear);
    return run;
  };

  return () => {
    // A queued refresh has not started yet (it starts in the same step that clears `queued`): joining it is
    // as good as starting one now.
    if (queued !== undefined) return queued;
    if (running === undefined) return start();
    const next = running.then(
      () => undefined,
      () => undefined,
    );
    const mine = next.then(() => {
      queued = undefined;
      return start();
    });
    queued = mine;
    return mine;
  };
}
