/**
 * The stream sequences the recorder owes the log: messages it was delivered and nak'ed (a transient store
 * failure, or held back behind such a message) that are not yet recorded, dead-lettered or terminated. While
 * one is owed, nothing with a higher stream sequence may be appended: the server redelivers nak'ed messages
 * when their delays expire, and a pull at that moment can get newer messages (or other nak'ed ones) first.
 *
 * A debt ends when its message is acknowledged or terminated, when it is nak'ed on its last delivery (the
 * server will not deliver it again), or `waitMs` after it was due back at the latest (it went elsewhere:
 * another instance of a shared consumer, or it was deleted from the stream): one message that never
 * returns must not hold back the recorder for ever. Bounded: at most `capacity` debts (the consumer's
 * max_ack_pending: every owed message is also pending on the server); past it the lowest one is given up.
 */

export interface Debt {
  /** The message's stream sequence. */
  readonly seq: number;
  /** When its nak delay runs out and the server is due to deliver it again (performance.now() time). */
  readonly dueAtMs: number;
  /** When the recorder stops waiting for it: dueAtMs + how late the server may be + the wait limit. */
  readonly expiresAtMs: number;
}

/** A delivered message, as far as the order goes (a JsMsg is one). */
export interface Sequenced {
  readonly seq: number;
}

export type ForgivenReason = "expired" | "capacity";

export interface OwedSequencesOptions {
  /** How long past its due time a debt is waited for (RecorderLimits.owedWaitMs). */
  readonly waitMs: number;
  /** The most debts kept at once (RecorderLimits.maxAckPending). */
  readonly capacity: number;
  /** Told about each debt given up on before its message came back (for a log line and a counter). */
  readonly onForgiven?: (debt: Debt, reason: ForgivenReason) => void;
}

export interface OwedSequences {
  readonly size: number;
  /**
   * Records (or refreshes) a debt: `seq` was nak'ed and is due back after `delayMs`, though the server may
   * bring it back up to `latenessMs` later than that (see nakLatenessMs); it is waited for until `waitMs`
   * after that.
   */
  owe(seq: number, delayMs: number, nowMs: number, latenessMs?: number): void;
  /** Ends a debt: `seq` was acknowledged (its event is in the log) or terminated (dead letters). */
  clear(seq: number): void;
  /**
   * How many of `group`'s messages (ascending by stream sequence) may be appended now, as a prefix: one may
   * be appended when every debt below its sequence is one of the messages before it in the group (those are
   * appended first, in the same call). `blocker` is the debt that stops the rest, if any. Debts past
   * their expiry are given up first.
   */
  appendable(group: readonly Sequenced[], nowMs: number): { count: number; blocker?: Debt };
}

export function owedSequences(options: OwedSequencesOptions): OwedSequences {
  const { waitMs, capacity } = options;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError("capacity must be a positive integer");
  }
  if (Number.isNaN(waitMs) || waitMs < 0) {
    throw new RangeError("waitMs must not be negative");
  }
  const forgiven = options.onForgiven ?? (() => undefined);
  /** Ascending by seq, one entry per seq; a sorted array: at most `capacity` entries, usually a handful. */
  const debts: Debt[] = [];

  /** Index of `seq` in debts, or of the first debt above it (binary search). */
  function indexOf(seq: number): number {
    let low = 0;
    let high = debts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((debts[middle] as Debt).seq < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  function forgetExpired(nowMs: number): void {
    for (let i = 0; i < debts.length; ) {
      const debt = debts[i] as Debt;
      if (debt.expiresAtMs > nowMs) {
        i += 1;
        continue;
      }
      debts.splice(i, 1);
      forgiven(debt, "expired");
    }
  }

  return {
    get size() {
      return debts.length;
    },
    owe(seq, delayMs, nowMs, latenessMs = 0) {
      const dueAtMs = nowMs + delayMs;
      const debt: Debt = { seq, dueAtMs, expiresAtMs: dueAtMs + latenessMs + waitMs };
      const at = indexOf(seq);
      if (debts[at]?.seq === seq) {
        debts[at] = debt;
        return;
      }
      debts.splice(at, 0, debt);
      if (debts.length <= capacity) return;
      // More debts than the server lets this consumer hold: some were settled elsewhere (a shared consumer).
      // Drop what has expired, and if that is not enough, the lowest (the oldest) debt.
      forgetExpired(nowMs);
      while (debts.length > capacity) forgiven(debts.shift() as Debt, "capacity");
    },
    clear(seq) {
      // The hot path (every ack) on the happy path: nothing owed, nothing to search.
      if (debts.length === 0) return;
      const at = indexOf(seq);
      if (debts[at]?.seq === seq) debts.splice(at, 1);
    },
    appendable(group, nowMs) {
      if (debts.length === 0) return { count: group.length };
      forgetExpired(nowMs);
      // A merge of two ascending lists: d walks the debts, p the group's messages before the current one.
      let d = 0;
      let p = 0;
      for (let i = 0; i < group.length; i += 1) {
        const seq = (group[i] as Sequenced).seq;
        for (; d < debts.length && (debts[d] as Debt).seq < seq; d += 1) {
          const owed = (debts[d] as Debt).seq;
          while (p < i && (group[p] as Sequenced).seq < owed) p += 1;
          if (p >= i || (group[p] as Sequenced).seq !== owed) return { count: i, blocker: debts[d] as Debt };
        }
      }
      return { count: group.length };
    },
  };
}
