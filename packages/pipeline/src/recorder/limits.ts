import { MAX_APPEND_BATCH } from "@icm/event-store";

/**
 * Batches the recorder holds delivered and unacknowledged at once: one being appended, one being validated
 * (or validated, waiting for the append), one pulled ahead. The default maxAckPending is this × fetchBatch.
 */
export const PIPELINE_BATCHES = 3;

/** Every batch, queue and retry of the recorder has a stated bound. */
export interface RecorderLimits {
  /**
   * Events per group, recorded with one appendMany (one store transaction), and per pull request: a pull
   * asks for this many events' worth of messages at the average events per message seen so far (a message
   * holds one event or several, and is never split, so a group can pass this by its last message's
   * events). At most MAX_APPEND_BATCH.
   */
  readonly fetchBatch: number;
  /** How long one pull waits for messages when the stream is idle (also bounds the stop latency). */
  readonly fetchExpiresMs: number;
  /** Time a delivered message may stay unacknowledged before the server redelivers it. */
  readonly ackWaitMs: number;
  /**
   * Deliveries per message (the server's bound). A failed append is retried in place (appendAttempts), so
   * deliveries grow only with restarts and hand-backs on stop; one handed back on its last delivery goes to
   * dead letters instead.
   */
  readonly maxDeliver: number;
  /** Redelivery delays after an ack-wait timeout (the first one is the ack wait itself). */
  readonly backoffMs: readonly number[];
  /**
   * Appends of one group, per delivery, when the store fails transiently (the whole appendMany fails: the
   * database unreachable). The group is retried in place, after a pause of nakDelayMs(attempt), with nothing
   * behind it appended meanwhile; when its attempts are used up its events go to dead letters with the store
   * error. With the default delays, 12 attempts wait about 3 minutes in all.
   */
  readonly appendAttempts: number;
  /**
   * Pause before the next attempt at a failed append, and delay of a nak: base × 2^(n-1), capped (n: the
   * attempt, or the delivery).
   */
  readonly nakDelayBaseMs: number;
  readonly nakDelayMaxMs: number;
  /**
   * Unacknowledged messages the server lets this consumer hold. Three times fetchBatch, the recorder's
   * pipeline: one batch being committed, the next one being validated (or validated and waiting), and one
   * pulled ahead of both. After a crash the recorder waits one ack wait before pulling, so the
   * unacknowledged messages come back (in stream order, before anything newer) and events still reach the
   * log in stream order.
   */
  readonly maxAckPending: number;
  /** Consecutive failed pulls (NATS unreachable) before the recorder gives up and its `done` rejects. */
  readonly maxConsecutiveFetchFailures: number;
  readonly fetchRetryDelayMs: number;
}

export const DEFAULT_RECORDER_LIMITS: RecorderLimits = {
  fetchBatch: 500,
  fetchExpiresMs: 1_000,
  ackWaitMs: 30_000,
  maxDeliver: 10,
  backoffMs: [30_000, 60_000, 120_000],
  appendAttempts: 12,
  nakDelayBaseMs: 500,
  nakDelayMaxMs: 30_000,
  maxAckPending: 1_500,
  maxConsecutiveFetchFailures: 120,
  fetchRetryDelayMs: 1_000,
};

/** Fills in defaults; a custom ackWaitMs without backoff gets a backoff that starts at that ack wait. */
export function recorderLimits(overrides: Partial<RecorderLimits> = {}): RecorderLimits {
  const ackWaitMs = overrides.ackWaitMs ?? DEFAULT_RECORDER_LIMITS.ackWaitMs;
  const fetchBatch = overrides.fetchBatch ?? DEFAULT_RECORDER_LIMITS.fetchBatch;
  const limits: RecorderLimits = {
    ...DEFAULT_RECORDER_LIMITS,
    // NATS requires fewer backoff values than deliveries.
    backoffMs: [ackWaitMs, ackWaitMs * 2, ackWaitMs * 4].slice(
      0,
      Math.max(0, (overrides.maxDeliver ?? DEFAULT_RECORDER_LIMITS.maxDeliver) - 1),
    ),
    maxAckPending: PIPELINE_BATCHES * fetchBatch,
    ...overrides,
  };
  const positive = [
    limits.fetchBatch,
    limits.ackWaitMs,
    limits.maxDeliver,
    limits.appendAttempts,
    limits.nakDelayBaseMs,
    limits.maxAckPending,
    limits.maxConsecutiveFetchFailures,
  ];
  if (!positive.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new RangeError("recorder limits must be positive integers");
  }
  if (limits.fetchExpiresMs < 1_000)
    throw new RangeError("fetchExpiresMs must be at least 1000 (a NATS minimum)");
  // NATS: the first backoff value replaces ack_wait, and max_deliver must exceed the number of backoff values.
  if (limits.backoffMs.length > 0 && limits.backoffMs[0] !== limits.ackWaitMs) {
    throw new RangeError(
      "backoffMs[0] must equal ackWaitMs (NATS uses the first backoff value as the ack wait)",
    );
  }
  if (limits.maxDeliver <= limits.backoffMs.length) {
    throw new RangeError(
      `maxDeliver (${limits.maxDeliver}) must exceed the number of backoff values (${limits.backoffMs.length})`,
    );
  }
  if (limits.fetchBatch > MAX_APPEND_BATCH)
    throw new RangeError(`fetchBatch must be at most ${MAX_APPEND_BATCH} (one appendMany per batch)`);
  if (limits.maxAckPending < limits.fetchBatch)
    throw new RangeError("maxAckPending must be at least fetchBatch");
  return limits;
}

export function nakDelayMs(limits: RecorderLimits, deliveryCount: number): number {
  const exponent = Math.min(Math.max(deliveryCount - 1, 0), 20);
  return Math.min(limits.nakDelayBaseMs * 2 ** exponent, limits.nakDelayMaxMs);
}
