import type { ReadAllFn } from "../chain/verify.js";
import { StoreClosedError } from "../port/errors.js";
import type { SubscribeOptions, Subscription, SubscriptionHandler } from "../port/types.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../port/types.js";

export const DEFAULT_POLL_INTERVAL_MS = 50;

/** Consecutive failed reads tolerated before the subscription gives up and rejects `done`. */
export interface ReadRetryPolicy {
  readonly maxConsecutiveFailures: number;
  /** Wait before retry number `attempt` (1-based). */
  readonly backoffMs: (attempt: number) => number;
}

export const DEFAULT_READ_RETRY: ReadRetryPolicy = {
  maxConsecutiveFailures: 5,
  backoffMs: (attempt) => Math.min(1_000, 20 * 2 ** (attempt - 1)),
};

export interface PollingSubscriptionOptions extends SubscribeOptions {
  readonly retry?: ReadRetryPolicy;
  /** Called once when the subscription has stopped (closed or failed): the adapter forgets its wake hook. */
  readonly onStop?: () => void;
}

export interface PollingSubscription extends Subscription {
  /** Cuts the current poll wait short: an adapter calls it after a commit so live delivery is prompt. */
  wake(): void;
  /** The last position delivered or scanned past (exclusive resume point). */
  readonly checkpoint: number;
}

export class SubscriptionClosedError extends Error {
  override readonly name = "SubscriptionClosedError";
  constructor() {
    super("the subscription was closed before it caught up");
  }
}

/**
 * A subscription built only on `readAll`, reused by every adapter that has no native push.
 *
 * Delivery is sequential and at-least-once from `after` (exclusive): each event's handler is awaited before
 * the next. When a read reaches the end of the log the subscriber is told (`onCaughtUp`) the first time
 * and every time after it had fallen behind, then it waits `pollIntervalMs` or until `wake()`. A read
 * failure is retried with backoff up to `retry.maxConsecutiveFailures` in a row; beyond that, or when the
 * handler throws, `done` rejects with the error and the caller resubscribes from its last stored checkpoint
 * (contract behaviour 19). `close()` waits for the in-flight handler and leaves no timer behind.
 *
 * A handler may call `close()` on its own subscription but must not await it (it would wait for itself);
 * delivery stops after that handler returns.
 */
export function startPollingSubscription(
  readAll: ReadAllFn,
  handler: SubscriptionHandler,
  options: PollingSubscriptionOptions = {},
): PollingSubscription {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const retry = options.retry ?? DEFAULT_READ_RETRY;
  const after = options.after ?? 0;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be 1..${MAX_PAGE_SIZE}, got ${pageSize}`);
  }
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 1 || pollIntervalMs > 60_000) {
    throw new RangeError(`pollIntervalMs must be 1..60000, got ${pollIntervalMs}`);
  }
  if (!Number.isInteger(after) || after < 0)
    throw new RangeError(`after must be an integer >= 0, got ${after}`);
  if (
    !Number.isInteger(retry.maxConsecutiveFailures) ||
    retry.maxConsecutiveFailures < 0 ||
    retry.maxConsecutiveFailures > 100
  ) {
    throw new RangeError(`retry.maxConsecutiveFailures must be 0..100, got ${retry.maxConsecutiveFailures}`);
  }
  const eventTypes = options.eventTypes;

  let checkpoint = after;
  let closing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wakeWaiter: (() => void) | undefined;
  let woken = false;

  let resolveCaughtUp!: (checkpoint: number) => void;
  let rejectCaughtUp!: (error: unknown) => void;
  const caughtUp = new Promise<number>((resolve, reject) => {
    resolveCaughtUp = resolve;
    rejectCaughtUp = reject;
  });
  // Nobody is obliged to await caughtUp; its failure is also reported through `done`.
  caughtUp.catch(() => undefined);
  let caughtUpOnce = false;

  /** Waits `ms` or until wake()/close(); the one timer is always cleared. */
  function pause(ms: number): Promise<void> {
    if (closing) return Promise.resolve();
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const finish = () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        wakeWaiter = undefined;
        resolve();
      };
      wakeWaiter = finish;
      timer = setTimeout(finish, ms);
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    let behind = true;
    while (!closing) {
      let page: Awaited<ReturnType<ReadAllFn>>;
      try {
        woken = false;
        page = await readAll(
          eventTypes === undefined
            ? { after: checkpoint, limit: pageSize }
            : { after: checkpoint, limit: pageSize, eventTypes },
        );
        failures = 0;
      } catch (error) {
        if (closing) return;
        // A closed store will not come back: retrying would only delay the failure.
        if (error instanceof StoreClosedError) throw error;
        failures += 1;
        if (failures > retry.maxConsecutiveFailures) throw error;
        await pause(retry.backoffMs(failures));
        continue;
      }
      for (const event of page.events) {
        if (closing) return;
        await handler.onEvent(event);
        checkpoint = event.globalPosition;
        behind = true;
      }
      if (closing) return;
      if (page.checkpoint > checkpoint) {
        checkpoint = page.checkpoint;
        behind = true;
        if (handler.onCheckpoint) await handler.onCheckpoint(checkpoint);
      }
      if (!page.isEnd) continue;
      if (behind) {
        behind = false;
        if (handler.onCaughtUp) await handler.onCaughtUp(checkpoint);
        if (!caughtUpOnce) {
          caughtUpOnce = true;
          resolveCaughtUp(checkpoint);
        }
      }
      await pause(pollIntervalMs);
    }
  }

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!caughtUpOnce) rejectCaughtUp(new SubscriptionClosedError());
    options.onStop?.();
  };
  const done = run().then(
    () => stop(),
    (error: unknown) => {
      if (!caughtUpOnce) {
        caughtUpOnce = true;
        rejectCaughtUp(error);
      }
      stop();
      throw error;
    },
  );

  return {
    caughtUp,
    done,
    get checkpoint() {
      return checkpoint;
    },
    wake() {
      if (wakeWaiter) wakeWaiter();
      else woken = true;
    },
    async close() {
      closing = true;
      wakeWaiter?.();
      // The failure (if any) belongs to `done`; close() only waits for the loop to stop.
      await done.catch(() => undefined);
    },
  };
}
