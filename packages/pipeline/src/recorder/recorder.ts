import type { EventStore } from "@icm/event-store";
import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection, nanos, ReplayPolicy } from "nats";
import type { Logger } from "pino";
import { type DeadLetterRecord, verbatim } from "../dead-letter/record.js";
import { type DeadLetterStore, deadLetterAt } from "../dead-letter/store.js";
import { defaultValidator, type EventValidator } from "../ingest/validator.js";
import type { NatsTopology } from "../nats/topology.js";
import { nakDelayMs, nakLatenessMs, type RecorderLimits, recorderLimits } from "./limits.js";
import { type Debt, owedSequences } from "./owed.js";
import {
  appendValidated,
  decodeBody,
  inputsBefore,
  type RecordOutcome,
  refuseInput,
  type ValidatedInputs,
  validatedInputs,
  validateInput,
} from "./record.js";

export interface RecorderOptions {
  readonly nc: NatsConnection;
  readonly topology: NatsTopology;
  readonly store: EventStore;
  readonly deadLetters: Pick<DeadLetterStore, "add">;
  readonly logger: Logger;
  readonly limits?: Partial<RecorderLimits>;
  /** Durable consumer name; every recorder instance with the same name shares the work. */
  readonly durableName?: string;
  readonly validate?: EventValidator;
  /** Edge clock for the dead letters' receivedAt (informational only). */
  readonly now?: () => Date;
}

export interface RecorderStats {
  /** Deliveries handled (a redelivered message counts again). */
  received: number;
  /** Newly appended to the log. */
  recorded: number;
  /** Already in the log (a redelivery or a re-publish): acknowledged, nothing written. */
  duplicates: number;
  deadLettered: number;
  /** Deliveries the server marked as redelivered (ack wait expired, nak, or a recorder restart). */
  redeliveries: number;
  /** Store errors answered with a delayed nak. */
  transientFailures: number;
  /**
   * Deliveries nak'ed because an earlier stream sequence was still owed (nak'ed and not back yet), so as
   * not to record them before it.
   */
  heldBack: number;
  /**
   * Owed messages given up on (not back limits.owedWaitMs after they were due at the latest, or one debt
   * too many): the messages after them were recorded without waiting any longer.
   */
  owedGivenUp: number;
  fetchFailures: number;
}

export interface RunningRecorder {
  readonly stats: RecorderStats;
  /** Settles when the recorder has stopped; rejects if it gave up (NATS unreachable beyond its limit). */
  readonly done: Promise<void>;
  /**
   * Stops pulling, records and settles everything already delivered (the in-flight pull included), sends
   * the acks, and resolves. Does not close the connection.
   */
  stop(): Promise<void>;
}

export const DEFAULT_RECORDER_NAME = "icm-recorder";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates the durable pull consumer, or brings an existing one's limits up to date. */
async function ensureConsumer(
  nc: NatsConnection,
  topology: NatsTopology,
  name: string,
  limits: RecorderLimits,
) {
  const jsm = await nc.jetstreamManager();
  const tunable = {
    ack_wait: nanos(limits.ackWaitMs),
    max_deliver: limits.maxDeliver,
    backoff: limits.backoffMs.map((ms) => nanos(ms)),
    max_ack_pending: limits.maxAckPending,
  };
  try {
    await jsm.consumers.info(topology.streamName, name);
    await jsm.consumers.update(topology.streamName, name, tunable);
  } catch (error) {
    // 10014 = consumer not found; anything else (stream missing, no JetStream) is the caller's problem.
    if ((error as { api_error?: { err_code?: number } }).api_error?.err_code !== 10014) throw error;
    await jsm.consumers.add(topology.streamName, {
      ...tunable,
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      replay_policy: ReplayPolicy.Instant,
      filter_subject: `${topology.subjectPrefix}.>`,
    });
  }
}

/**
 * Inputs validated per slice before the preparer yields to the event loop (see prepare()): about a
 * millisecond of validation at the ~15 µs an event takes, so a PostgreSQL reply to the appender waits at
 * most that long.
 */
const PREPARE_SLICE_EVENTS = 64;

/** Lets pending I/O callbacks run (setImmediate runs after the poll phase; a microtask would not). */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * One waiter at a time, woken by wake() or after `ms` (so that every loop notices stop() and pauses on its
 * own). A loop checks its condition and calls wait() in the same tick, so a wake() is never missed.
 */
function wakeup(): { wait(ms: number): Promise<void>; wake(): void } {
  const nobody = () => undefined;
  let wakeWaiter: () => void = nobody;
  return {
    wait: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        wakeWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    // The puller wakes the preparer once per delivered message: after the first, there is nobody to wake.
    wake: () => {
      const waiter = wakeWaiter;
      wakeWaiter = nobody;
      waiter();
    },
  };
}

/** Whether the messages are in stream order (as a pull delivers them, unless redeliveries came between). */
function ascending(messages: readonly JsMsg[]): boolean {
  for (let i = 1; i < messages.length; i += 1) {
    if ((messages[i] as JsMsg).seq < (messages[i - 1] as JsMsg).seq) return false;
  }
  return true;
}

/** A group of delivered messages, in stream order, decoded and validated: ready for its appendMany. */
interface PreparedGroup {
  readonly messages: readonly JsMsg[];
  /** Input i is messages[i]'s body. */
  readonly inputs: ValidatedInputs;
}

/**
 * Moves events from the NATS event stream into the event store: a durable pull consumer whose delivered
 * messages are recorded in groups (whatever has arrived, up to fetchBatch) with one appendMany each, in
 * stream order; each message is acknowledged only after the store confirmed its item, i.e. after the commit
 * of the appendMany holding it. A pipeline of three bounded stages keeps the serialised append busy:
 *
 *   pull() ──queued (≤ fetchBatch)──► prepareAll() ──ready (one group)──► appendAll()
 *
 * the puller fetches the next batch, the preparer decodes and validates the group after the one being
 * appended, and the appender commits one group at a time and then settles its messages in order. At most
 * three groups are delivered and unacknowledged (maxAckPending, 3 × fetchBatch, bounds it on the server).
 * A transient store error naks the message (and the rest of its group, and what is held back after it, to
 * keep the order) with a growing delay; an event that can never be recorded is written to dead letters with
 * its reason and then terminated. Nothing is dropped silently: if even the dead-letter write fails, the
 * message is nak'ed and comes back.
 */
export async function startRecorder(options: RecorderOptions): Promise<RunningRecorder> {
  const limits = recorderLimits(options.limits);
  const name = options.durableName ?? DEFAULT_RECORDER_NAME;
  const validate = options.validate ?? defaultValidator;
  const now = options.now ?? (() => new Date());
  const { nc, topology, store, deadLetters, logger } = options;
  await ensureConsumer(nc, topology, name, limits);
  const consumer = await nc.jetstream().consumers.get(topology.streamName, name);
  // Messages delivered to a recorder that died are redelivered only when their ack wait runs out, and a
  // pull before that would get newer messages first: the log would then hold a deal's cancellation before
  // its close. Once the ack wait has passed, the server hands out redeliveries before anything new.
  // The wait happens in run(), after startRecorder has returned: a process must be able to install its
  // SIGTERM handler (and stop() must work) during it, not only after it.
  const unacknowledged = (await consumer.info()).num_ack_pending;
  const stats: RecorderStats = {
    received: 0,
    recorded: 0,
    duplicates: 0,
    deadLettered: 0,
    redeliveries: 0,
    transientFailures: 0,
    heldBack: 0,
    owedGivenUp: 0,
    fetchFailures: 0,
  };
  let stopping = false;

  /**
   * The stream sequences this recorder was delivered, nak'ed, and has not yet recorded, dead-lettered or
   * terminated. Nothing above the lowest of them is appended (see appendAll): the server redelivers nak'ed
   * messages when their delays run out, and a pull at that moment can get newer messages first. Bounded by
   * maxAckPending (every owed message is also pending on the server) and by time (owedWaitMs).
   */
  const owed = owedSequences({
    waitMs: limits.owedWaitMs,
    capacity: limits.maxAckPending,
    onForgiven: (debt, reason) => {
      stats.owedGivenUp += 1;
      logger.warn(
        { seq: debt.seq, reason, owedWaitMs: limits.owedWaitMs },
        "gave up waiting for a nak'ed message; later ones are recorded without it",
      );
    },
  });

  /**
   * Naks a message and notes that the log owes it, unless this was its last delivery: the server will not
   * deliver it again (it publishes a MAX_DELIVERIES advisory instead), so waiting for it would be in vain.
   */
  function nakOwed(message: JsMsg, delayMs: number): void {
    message.nak(delayMs);
    const deliveries = message.info.deliveryCount;
    if (deliveries >= limits.maxDeliver) owed.clear(message.seq);
    else owed.owe(message.seq, delayMs, performance.now(), nakLatenessMs(limits, deliveries));
  }

  /** Attempts at writing one dead letter before falling back to a nak (the message then comes back). */
  const DEAD_LETTER_ATTEMPTS = 3;

  async function deadLetter(message: JsMsg, reason: string, extra: Partial<DeadLetterRecord>): Promise<void> {
    const record = deadLetterAt(now(), {
      ...verbatim(message.data),
      ...extra,
      reason,
      source: "recorder",
      subject: message.subject,
    });
    for (let attempt = 1; ; attempt += 1) {
      try {
        await deadLetters.add(record);
        break;
      } catch (error) {
        logger.error({ err: error, seq: message.seq, attempt }, "dead-letter write failed");
        if (attempt >= DEAD_LETTER_ATTEMPTS) {
          // Not acknowledged and not terminated: it comes back (unless this was its last delivery; the
          // server then records a MAX_DELIVERIES advisory, see docs/operations.md).
          nakOwed(message, nakDelayMs(limits, message.info.deliveryCount));
          return;
        }
        message.working();
        await sleep(1_000);
      }
    }
    // No reason text: servers before 2.10.4 do not understand "+TERM <reason>" and ignore the whole term.
    message.term();
    owed.clear(message.seq);
    stats.deadLettered += 1;
    logger.warn({ reason, eventId: extra.eventId, seq: message.seq }, "message dead-lettered");
  }

  /**
   * Decodes and validates a group, in slices of PREPARE_SLICE_EVENTS with a yield between them: validation
   * is synchronous, and one long stretch of it would hold back the appender's PostgreSQL replies (each
   * appendMany is several round trips) for as long as it runs.
   */
  async function prepare(messages: readonly JsMsg[]): Promise<PreparedGroup> {
    const inputs = validatedInputs(messages.length);
    for (let i = 0; i < messages.length; i += 1) {
      if (i > 0 && i % PREPARE_SLICE_EVENTS === 0) await yieldToIo();
      const message = messages[i] as JsMsg;
      stats.received += 1;
      if (message.info.redelivered) stats.redeliveries += 1;
      const body = decodeBody(message.data);
      if (body.ok) validateInput(inputs, i, body.value, validate);
      else refuseInput(inputs, i, { kind: "poison", reason: body.reason, issues: body.issues });
    }
    return { messages, inputs };
  }

  /**
   * Settles the messages of a group whose appendMany has returned, in order, by their outcomes (the first
   * outcomes.length messages: the part of the group that was appended). Returns how long to pause pulling
   * after a transient failure, else 0.
   */
  async function settleGroup(group: PreparedGroup, outcomes: readonly RecordOutcome[]): Promise<number> {
    let pauseMs = 0;
    const { messages } = group;
    for (let i = 0; i < outcomes.length; i += 1) {
      const message = messages[i] as JsMsg;
      const outcome = outcomes[i];
      if (outcome === undefined) throw new Error("unreachable: a message without an outcome");
      if (outcome.kind === "recorded" || outcome.kind === "duplicate") {
        // Acked without an await in between, so the acks of a group leave in one socket write (nats.js
        // flushes its buffer in a microtask: one await per message made that one write per ack).
        acknowledge(message, outcome.kind);
        continue;
      }
      pauseMs = Math.max(pauseMs, await settle(message, outcome));
    }
    return pauseMs;
  }

  /** The store has confirmed the message's event: only now may NATS forget it. */
  function acknowledge(message: JsMsg, kind: "recorded" | "duplicate"): void {
    message.ack();
    owed.clear(message.seq);
    if (kind === "recorded") stats.recorded += 1;
    else stats.duplicates += 1;
  }

  /** Acks, dead-letters or naks one message by its outcome; returns the nak delay (0 if none). */
  async function settle(message: JsMsg, outcome: RecordOutcome): Promise<number> {
    switch (outcome.kind) {
      case "recorded":
      case "duplicate":
        acknowledge(message, outcome.kind);
        return 0;
      case "poison":
        await deadLetter(message, outcome.reason, {
          ...(outcome.issues ? { issues: outcome.issues } : {}),
          ...(outcome.eventId ? { eventId: outcome.eventId } : {}),
        });
        return 0;
      case "transient": {
        stats.transientFailures += 1;
        const deliveries = message.info.deliveryCount;
        const reason = `store unavailable: ${(outcome.error as Error)?.message ?? String(outcome.error)}`;
        if (deliveries >= limits.maxDeliver) {
          // The server would not deliver it again: keep it, with why.
          await deadLetter(message, `${reason} (after ${deliveries} deliveries)`, {
            eventId: outcome.event.eventId,
          });
          return 0;
        }
        const delay = nakDelayMs(limits, deliveries);
        logger.warn(
          { err: outcome.error, eventId: outcome.event.eventId, deliveries, delayMs: delay },
          "append failed; retrying later",
        );
        nakOwed(message, delay);
        return delay;
      }
    }
  }

  /**
   * Keeps the stream order: a message behind an owed one (`blocker`) is nak'ed to come back no sooner than
   * that one is due, and then becomes owed itself. The delay grows with its own deliveries too, so that one
   * held back again and again (its blocker is late) does not use them up at the blocker's pace. Holding
   * back uses up a delivery, so on its last one it is dead-lettered like the failed event (never dropped by
   * the server). (Counted in stats.received by prepare(), which every delivered message goes through first.)
   */
  async function holdBack(message: JsMsg, blocker: Debt): Promise<void> {
    const deliveries = message.info.deliveryCount;
    if (deliveries >= limits.maxDeliver) {
      await deadLetter(
        message,
        `store unavailable: held back behind a failing event (after ${deliveries} deliveries)`,
        {},
      );
      return;
    }
    stats.heldBack += 1;
    const untilDueMs = Math.ceil(blocker.dueAtMs - performance.now());
    nakOwed(message, Math.max(nakDelayMs(limits, deliveries), untilDueMs));
  }

  /**
   * Delivered messages not yet taken by the preparer, in delivery order. Bounded: a new pull asks for at
   * most fetchBatch - queued.length messages and is only made below fetchBatch queued.
   */
  const queued: JsMsg[] = [];
  /** The group prepared after the one being appended (one at most: the preparer waits for it to be taken). */
  let ready: PreparedGroup | undefined;
  let pullerDone = false;
  let preparerDone = false;
  /** Set when the appender has failed: nobody would settle what is pulled or prepared after that. */
  let appenderFailed = false;
  /** puller → preparer: messages arrived, or the puller is done. */
  const arrived = wakeup();
  /** preparer → puller: room in `queued`. */
  const roomInQueue = wakeup();
  /** preparer → appender: `ready` was filled, or the preparer is done. */
  const groupReady = wakeup();
  /** appender → preparer: `ready` was taken. */
  const readyTaken = wakeup();
  // While the store is failing, or an owed message is not due back yet, the puller does not pull (what it
  // got would only be held back). Every delivery still reaches an appendMany or holdBack().
  let pausedUntil = 0;

  /** Pulls batches into `queued` until stop(); rejects if NATS stays unreachable beyond its limit. */
  async function pull(): Promise<void> {
    let failures = 0;
    try {
      while (!stopping) {
        const pauseMs = Math.ceil(pausedUntil - performance.now());
        if (pauseMs > 0) {
          // Do not pull while the store is failing; wake up at least every second to notice stop().
          await sleep(Math.min(pauseMs, 1_000));
          continue;
        }
        if (queued.length >= limits.fetchBatch) {
          await roomInQueue.wait(1_000);
          continue;
        }
        try {
          const batch = await consumer.fetch({
            max_messages: limits.fetchBatch - queued.length,
            expires: limits.fetchExpiresMs,
          });
          for await (const message of batch) {
            queued.push(message);
            arrived.wake();
          }
          failures = 0;
        } catch (error) {
          failures += 1;
          stats.fetchFailures += 1;
          if (failures >= limits.maxConsecutiveFetchFailures) {
            throw new Error(
              `recorder gave up after ${failures} consecutive failed pulls: ${(error as Error).message}`,
            );
          }
          logger.warn({ err: error, failures }, "pull failed; retrying");
          await sleep(limits.fetchRetryDelayMs);
        }
      }
    } finally {
      pullerDone = true;
      arrived.wake();
    }
  }

  /**
   * Takes what has arrived (up to fetchBatch, in order) once the previous group has been taken by the
   * appender, and prepares it while that one is appended; until the puller is done and `queued` drained.
   */
  async function prepareAll(): Promise<void> {
    try {
      while (!appenderFailed) {
        if (ready !== undefined) {
          await readyTaken.wait(1_000);
          continue;
        }
        if (queued.length === 0) {
          if (pullerDone) return;
          await arrived.wait(1_000);
          continue;
        }
        // The messages of one socket read reach `queued` one microtask apart: let them all arrive, so that
        // a burst becomes one group rather than its first message and then the rest.
        await yieldToIo();
        const messages = queued.splice(0, limits.fetchBatch);
        roomInQueue.wake();
        // In stream order: redeliveries (nak delays running out one after the other) can arrive out of it,
        // and the owed check (appendAll) needs a group's lower sequences first.
        if (!ascending(messages)) messages.sort((a, b) => a.seq - b.seq);
        ready = await prepare(messages);
        groupReady.wake();
      }
    } finally {
      preparerDone = true;
      groupReady.wake();
    }
  }

  /**
   * Appends the prepared groups one at a time, in order, until the preparer is done and `ready` drained.
   * Of each group, only the messages below every owed sequence are appended (a prefix: the group is in
   * stream order); the rest are held back. A group's messages are settled after its commit. On the happy
   * path (nothing owed, nothing held back, no transient failure) that happens just after the next group's
   * appendMany has been started, so that its acks (one NATS message each) go out during that append's
   * round trips instead of before it; with no next group ready, at once. Any other group is settled before
   * the next one is looked at: its acks and naks change what is owed, which decides what the next may append.
   */
  async function appendAll(): Promise<void> {
    /** The last group committed and not yet settled (one settled later only when nothing was owed). */
    let committed: { group: PreparedGroup; outcomes: RecordOutcome[] } | undefined;
    const settleCommitted = async (): Promise<void> => {
      if (committed === undefined) return;
      const { group, outcomes } = committed;
      committed = undefined;
      await settleGroup(group, outcomes);
    };
    for (;;) {
      const group = ready;
      if (group === undefined) {
        if (committed !== undefined) {
          await settleCommitted();
          continue;
        }
        if (preparerDone) return;
        await groupReady.wait(1_000);
        continue;
      }
      ready = undefined;
      readyTaken.wake();
      // Decided before the committed group is settled: that group was appended with nothing owed, so its
      // settling only acks and dead-letters (a poison message whose dead letter cannot be written is nak'ed
      // and owed, but it never enters the log, so what is appended next cannot overtake it there).
      const { count, blocker } = owed.appendable(group.messages, performance.now());
      // Starts the append (the store's synchronous checks and encoding run now, then its first query).
      const appending = count > 0 ? appendValidated(store, inputsBefore(group.inputs, count)) : undefined;
      await settleCommitted();
      const outcomes = appending === undefined ? [] : await appending;
      if (blocker === undefined && owed.size === 0 && !outcomes.some((o) => o.kind === "transient")) {
        committed = { group, outcomes };
        continue;
      }
      const delayMs = await settleGroup(group, outcomes);
      if (delayMs > 0) pausedUntil = Math.max(pausedUntil, performance.now() + delayMs);
      if (blocker !== undefined) {
        for (const message of group.messages.slice(count)) await holdBack(message, blocker);
        // Anything pulled before the blocker is due back would only be held back too.
        pausedUntil = Math.max(pausedUntil, blocker.dueAtMs);
      }
    }
  }

  /** Ends the start-up wait early when stop() is called. */
  let startupWaitOver: () => void = () => undefined;

  async function run(): Promise<void> {
    if (unacknowledged > 0) {
      logger.info(
        { unacknowledged, waitMs: limits.ackWaitMs },
        "waiting for a previous instance's messages to come back first",
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, limits.ackWaitMs);
        startupWaitOver = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      // Stopped while waiting: nothing was pulled, so there is nothing to settle.
      if (stopping) return;
    }
    const pulling = pull();
    // The preparer and the appender always drain what was delivered, even when the puller failed: those
    // messages are held by this consumer and would otherwise wait out their ack wait.
    const preparing = prepareAll().catch((error: unknown) => {
      // A preparer that cannot go on stops the pull; the appender still drains the group already prepared.
      stopping = true;
      roomInQueue.wake();
      throw error;
    });
    const appending = appendAll().catch((error: unknown) => {
      // An appender that cannot go on must not leave the others taking deliveries nobody will settle.
      stopping = true;
      appenderFailed = true;
      roomInQueue.wake();
      readyTaken.wake();
      throw error;
    });
    const [pulled, prepared, appended] = await Promise.allSettled([pulling, preparing, appending]);
    // Acks are fire-and-forget: push them out before reporting "stopped". If this fails the server
    // redelivers, and the store answers "duplicate".
    if (!nc.isClosed()) await nc.flush().catch(() => undefined);
    if (appended.status === "rejected") throw appended.reason;
    if (prepared.status === "rejected") throw prepared.reason;
    if (pulled.status === "rejected") throw pulled.reason;
  }

  const done = run();
  done.catch(() => undefined);
  logger.info({ consumer: name, stream: topology.streamName, limits }, "recorder started");
  return {
    stats,
    done,
    async stop() {
      stopping = true;
      startupWaitOver();
      roomInQueue.wake();
      await done;
      logger.info({ stats }, "recorder stopped");
    },
  };
}
