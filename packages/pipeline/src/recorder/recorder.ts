import type { EventStore } from "@icm/event-store";
import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection, nanos, ReplayPolicy } from "nats";
import type { Logger } from "pino";
import { type DeadLetterRecord, verbatim } from "../dead-letter/record.js";
import { type DeadLetterStore, deadLetterAt } from "../dead-letter/store.js";
import { arrayItemTexts } from "../ingest/raw-json.js";
import { defaultValidator, type EventValidator } from "../ingest/validator.js";
import type { NatsTopology } from "../nats/topology.js";
import { nakDelayMs, type RecorderLimits, recorderLimits } from "./limits.js";
import { messagePuller } from "./pull.js";
import {
  appendValidated,
  decodeBody,
  notAppended,
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

/** Counts of messages (deliveries) and of events (a message holds one event or several). */
export interface RecorderStats {
  /** Deliveries handled (a redelivered message counts again). */
  received: number;
  /** Events in the deliveries handled (a body that is not JSON counts as one). */
  receivedEvents: number;
  /** Events newly appended to the log. */
  recorded: number;
  /** Events already in the log (a redelivery or a re-publish): nothing written. */
  duplicates: number;
  /** Events (or unreadable message bodies) written to dead letters. */
  deadLettered: number;
  /** Deliveries the server marked as redelivered (ack wait expired, nak, or a recorder restart). */
  redeliveries: number;
  /** Messages whose append failed for a transient store error (the store unreachable), once per attempt. */
  transientFailures: number;
  /** appendMany calls made again for a group after a transient store failure (in place, nothing nak'ed). */
  appendRetries: number;
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

/** A group of delivered messages, in delivery order, decoded and validated: ready for its appendMany. */
interface PreparedGroup {
  readonly messages: readonly JsMsg[];
  /** Message m holds inputs [firstInput[m], firstInput[m + 1]) (the last one: to the end). */
  readonly firstInput: readonly number[];
  /** Message m's body is a JSON array of events (its events' dead letters are their spans). */
  readonly isArray: readonly boolean[];
  /** One input per event, in delivery order. */
  readonly inputs: ValidatedInputs;
}

/** The error of the events of a group handed back on stop without being appended. */
const HANDED_BACK = new Error("handed back on stop behind a failing event");

/** Why an event that is not in the log goes to dead letters, and what its letter names. */
function deadLetterReason(
  outcome: Exclude<RecordOutcome, { kind: "recorded" | "duplicate" }>,
  attempts: number,
  handBack: boolean,
  deliveries: number,
): { reason: string; extra: Partial<DeadLetterRecord> } {
  if (outcome.kind === "poison") {
    return {
      reason: outcome.reason,
      extra: {
        ...(outcome.issues ? { issues: outcome.issues } : {}),
        ...(outcome.eventId ? { eventId: outcome.eventId } : {}),
      },
    };
  }
  const eventId = { eventId: outcome.event.eventId };
  // Handed back on its last delivery: keep it rather than let the server drop it.
  if (handBack) {
    return {
      reason: `store unavailable: handed back on stop behind a failing event (after ${deliveries} deliveries)`,
      extra: eventId,
    };
  }
  // Its group's attempts are used up: keep it, with why, rather than block the recorder for ever.
  const cause = (outcome.error as Error)?.message ?? String(outcome.error);
  return { reason: `store unavailable: ${cause} (after ${attempts} attempts)`, extra: eventId };
}

/**
 * Moves events from the NATS event stream into the event store: a durable pull consumer whose delivered
 * messages (each one event, or a JSON array of events: see nats/message.ts) are recorded in groups
 * (whatever has arrived, up to fetchBatch events, never splitting a message) with one appendMany each, in
 * stream order; each message is acknowledged only after the store confirmed all its events, i.e. after
 * the commit of the appendMany holding it. A pipeline of three bounded stages keeps the serialised append
 * busy:
 *
 *   pull() ──queued (≈ fetchBatch events)──► prepareAll() ──ready (one group)──► appendAll()
 *
 * the puller fetches the next batch, the preparer decodes and validates the group after the one being
 * appended, and the appender commits one group at a time and then settles its messages in order. About
 * three groups are delivered and unacknowledged (maxAckPending, 3 × fetchBatch messages, bounds it on the
 * server). A transient store error (the whole appendMany failed) is retried in place: the same group again
 * after a growing pause, while nothing is pulled and nothing behind it is appended, so each stream's events
 * reach the log in stream order (nothing is nak'ed and redelivered out of order); after its attempts its
 * events go to dead letters. An event that can never be recorded is written to dead letters with its
 * reason (the verbatim text of its span in a message of several), and its message is then acknowledged
 * (terminated when none of its events was recorded). Nothing is dropped silently: if even a dead-letter
 * write fails, the message is nak'ed and comes back whole (its recorded events are then duplicates).
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
    receivedEvents: 0,
    recorded: 0,
    duplicates: 0,
    deadLettered: 0,
    redeliveries: 0,
    transientFailures: 0,
    appendRetries: 0,
    fetchFailures: 0,
  };
  let stopping = false;

  /** Attempts at writing one dead letter before falling back to a nak (the message then comes back). */
  const DEAD_LETTER_ATTEMPTS = 3;

  /**
   * Writes one dead letter, trying DEAD_LETTER_ATTEMPTS times (keeping the message alive in between);
   * false when every attempt failed.
   */
  async function writeDeadLetter(message: JsMsg, record: DeadLetterRecord): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await deadLetters.add(record);
        return true;
      } catch (error) {
        logger.error({ err: error, seq: message.seq, attempt }, "dead-letter write failed");
        if (attempt >= DEAD_LETTER_ATTEMPTS) return false;
        message.working();
        await sleep(1_000);
      }
    }
  }

  /**
   * Takes delivered messages from `queued`, in order, until the group holds limits.fetchBatch events (a
   * message is never split, so the last one may take it past that), and decodes and validates them: a
   * message whose body is a JSON array is a message of several events, anything else one event. Works in
   * slices of PREPARE_SLICE_EVENTS with a yield between them: validation is synchronous, and one long
   * stretch of it would hold back the appender's PostgreSQL replies (each appendMany is several round
   * trips) for as long as it runs.
   */
  async function prepare(): Promise<PreparedGroup> {
    const inputs = validatedInputs();
    const messages: JsMsg[] = [];
    const firstInput: number[] = [];
    const isArray: boolean[] = [];
    let events = 0;
    let sliceEnd = PREPARE_SLICE_EVENTS;
    while (events < limits.fetchBatch) {
      const message = queued.shift();
      if (message === undefined) break;
      stats.received += 1;
      if (message.info.redelivered) stats.redeliveries += 1;
      messages.push(message);
      firstInput.push(events);
      const body = decodeBody(message.data);
      const items = body.ok && Array.isArray(body.value) ? (body.value as unknown[]) : undefined;
      isArray.push(items !== undefined && items.length > 0);
      if (!body.ok)
        refuseInput(inputs, events++, { kind: "poison", reason: body.reason, issues: body.issues });
      else if (items === undefined) validateInput(inputs, events++, body.value, validate);
      else if (items.length === 0)
        refuseInput(inputs, events++, {
          kind: "poison",
          reason: "message holds no events",
          issues: [{ path: "$", rule: "must be an event or a non-empty array of events" }],
        });
      else
        for (const item of items) {
          if (events >= sliceEnd) {
            await yieldToIo();
            sliceEnd = events + PREPARE_SLICE_EVENTS;
          }
          validateInput(inputs, events++, item, validate);
        }
      if (events >= sliceEnd) {
        await yieldToIo();
        sliceEnd = events + PREPARE_SLICE_EVENTS;
      }
    }
    stats.receivedEvents += events;
    // What the puller asks for is sized by this (see pull()): half the last group, half the history.
    eventsPerMessage += (events / Math.max(1, messages.length) - eventsPerMessage) / 2;
    roomInQueue.wake();
    return { messages, firstInput, isArray, inputs };
  }

  /**
   * Settles each message of a group whose appendMany has returned (or that was never appended: see
   * appendAll), in order, by its events' outcomes. A `transient` outcome is what is left after the group's
   * retries (see retryGroup): `attempts` appends were made, and `handBack` says the retries were cut short
   * by stop() rather than used up.
   */
  async function settleGroup(
    group: PreparedGroup,
    outcomes: readonly RecordOutcome[],
    attempts = 1,
    handBack = false,
  ): Promise<void> {
    const { messages, firstInput } = group;
    // A message nak'ed while a pull request of ours is open is delivered straight back into it, and
    // handed back again later, behind messages nak'ed after it: the server redelivers in nak order, so the
    // next instance would record them out of stream order (seen with messages of several events, whose
    // first pull is often not filled). No nak before the last pull request has ended; stop() ends it
    // within fetchExpiresMs.
    if (handBack) await pulling?.catch(() => undefined);
    for (let m = 0; m < messages.length; m += 1) {
      const message = messages[m] as JsMsg;
      const start = firstInput[m] as number;
      const end = firstInput[m + 1] ?? outcomes.length;
      let recorded = 0;
      let duplicates = 0;
      for (let i = start; i < end; i += 1) {
        const kind = outcomes[i]?.kind;
        if (kind === "recorded") recorded += 1;
        else if (kind === "duplicate") duplicates += 1;
      }
      // Counted now: the store has them, whatever happens to the message (a nak'ed one comes back, and
      // they are then duplicates).
      stats.recorded += recorded;
      stats.duplicates += duplicates;
      if (recorded + duplicates === end - start) {
        // The store has confirmed every event of the message: only now may NATS forget it. Acked without
        // an await in between, so the acks of a group leave in one socket write (nats.js flushes its
        // buffer in a microtask: one await per message made that one write per ack).
        message.ack();
        continue;
      }
      await settleMessage(message, group.isArray[m] === true, outcomes.slice(start, end), attempts, handBack);
    }
  }

  /**
   * Settles a message not all of whose events are in the log. When stop() cut a store failure's retries
   * short (`handBack`), it goes back to the server unrecorded (an immediate nak: naks sent in stream order
   * are delivered again in that order, before anything newer), unless this was its last delivery. Otherwise
   * every event that is not in the log is written to dead letters (the verbatim text of its span when the
   * message holds several) with its reason, and the message is acknowledged. If a dead-letter write
   * fails, the message is nak'ed and comes back whole: its recorded events are then duplicates, and its
   * dead letters written again within the dead-letter stream's window are kept once.
   */
  async function settleMessage(
    message: JsMsg,
    isArray: boolean,
    outcomes: readonly RecordOutcome[],
    attempts: number,
    handBack: boolean,
  ): Promise<void> {
    const deliveries = message.info.deliveryCount;
    const transient = outcomes.some((outcome) => outcome.kind === "transient");
    if (transient && handBack && deliveries < limits.maxDeliver) {
      message.nak();
      return;
    }
    // The exact text of each event's span, for its dead letter (a re-serialised item could differ from what
    // was sent, e.g. `1.50` → `1.5`); scanned only now, when an event of the message is refused.
    const texts = isArray ? arrayItemTexts(new TextDecoder().decode(message.data)) : undefined;
    let written = 0;
    for (let k = 0; k < outcomes.length; k += 1) {
      const outcome = outcomes[k] as RecordOutcome;
      if (outcome.kind === "recorded" || outcome.kind === "duplicate") continue;
      const { reason, extra } = deadLetterReason(outcome, attempts, handBack, deliveries);
      const text = texts?.[k];
      const record = deadLetterAt(now(), {
        ...(text === undefined ? verbatim(message.data) : verbatim(text)),
        ...extra,
        reason,
        source: "recorder",
        subject: message.subject,
      });
      if (!(await writeDeadLetter(message, record))) {
        // Not acknowledged and not terminated: it comes back (unless this was its last delivery; the
        // server then records a MAX_DELIVERIES advisory, see docs/operations.md).
        message.nak(nakDelayMs(limits, deliveries));
        return;
      }
      written += 1;
      stats.deadLettered += 1;
      logger.warn({ reason, eventId: extra.eventId, seq: message.seq }, "event dead-lettered");
    }
    // No reason text: servers before 2.10.4 do not understand "+TERM <reason>" and ignore the whole term.
    if (written === outcomes.length) message.term();
    else message.ack();
  }

  /** Delivered and not yet settled messages that are not in the group being appended (see keepAlive). */
  function heldBehind(): JsMsg[] {
    return [...(ready?.messages ?? []), ...queued];
  }

  /**
   * Tells the server that the messages are being worked on (+WPI resets their ack wait), so that none of
   * them is redelivered (and then recorded behind newer ones) while the appender retries.
   */
  function keepAlive(messages: readonly JsMsg[]): void {
    for (const message of messages) message.working();
  }

  /** Woken by stop(): cuts a retry pause short. */
  const stopSignal = wakeup();

  /**
   * Waits `ms` before the next attempt, keeping every delivered message alive (at least every third of
   * the ack wait, the shortest redelivery delay); returns early on stop().
   */
  async function pauseKeepingAlive(group: PreparedGroup, ms: number): Promise<void> {
    const keepAliveEveryMs = Math.max(1, Math.floor(limits.ackWaitMs / 3));
    const until = performance.now() + ms;
    for (;;) {
      keepAlive(group.messages);
      keepAlive(heldBehind());
      const leftMs = Math.ceil(until - performance.now());
      if (leftMs <= 0 || stopping) return;
      await stopSignal.wait(Math.min(leftMs, keepAliveEveryMs));
    }
  }

  /** Set while the appender retries a group: the puller does not pull (what it got would only wait). */
  let retrying = false;
  /** appender → puller: the retries are over. */
  const retriesOver = wakeup();

  /**
   * Appends a group again after a transient store failure, after a growing pause (nakDelayMs by attempt),
   * until none of its events fails transiently, limits.appendAttempts are used up, or stop() is called. Appending it again is safe: a failed appendMany wrote
   * nothing (memory, SQL), or what it wrote comes back as idempotent replays (EventStoreDB). Nothing behind
   * the group is appended meanwhile, and its messages are not nak'ed: that is what keeps the order.
   */
  async function retryGroup(
    group: PreparedGroup,
    first: RecordOutcome[],
  ): Promise<{ outcomes: RecordOutcome[]; attempts: number; handBack: boolean }> {
    let outcomes = first;
    let attempts = 1;
    retrying = true;
    try {
      for (;;) {
        const failed = outcomes.filter((outcome) => outcome.kind === "transient");
        stats.transientFailures += failed.length;
        if (failed.length === 0) return { outcomes, attempts, handBack: false };
        if (stopping) return { outcomes, attempts, handBack: true };
        if (attempts >= limits.appendAttempts) return { outcomes, attempts, handBack: false };
        const delayMs = nakDelayMs(limits, attempts);
        const error = (failed[0] as Extract<RecordOutcome, { kind: "transient" }>).error;
        logger.warn(
          { err: error, events: failed.length, attempts, delayMs },
          "append failed; retrying the same group (nothing behind it is appended meanwhile)",
        );
        await pauseKeepingAlive(group, delayMs);
        if (stopping) return { outcomes, attempts, handBack: true };
        attempts += 1;
        stats.appendRetries += 1;
        outcomes = await appendValidated(store, group.inputs);
      }
    } finally {
      retrying = false;
      retriesOver.wake();
    }
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
  /**
   * Every delivery lands in `queued`, whichever pull request it answers (one inbox for the recorder's life:
   * see pull.ts for the messages nats.js's fetch() lost, which came back after the ack wait behind newer
   * ones). Created in run(), after the start-up wait.
   */
  let puller: ReturnType<typeof messagePuller> | undefined;
  /**
   * Events per delivered message, a running average (prepare() updates it): pulls are sized in events,
   * so that `queued` holds about one group whether messages hold one event or a hundred.
   */
  let eventsPerMessage = 1;
  function delivered(message: JsMsg): void {
    queued.push(message);
    arrived.wake();
  }

  /** Pulls batches into `queued` until stop(); rejects if NATS stays unreachable beyond its limit. */
  async function pull(): Promise<void> {
    let failures = 0;
    try {
      puller = messagePuller(nc, topology.streamName, name, delivered);
      while (!stopping) {
        if (retrying) {
          // The store is failing: anything pulled now would only wait behind the group being retried.
          await retriesOver.wait(1_000);
          continue;
        }
        // Room in `queued`, in messages of the average size; one message at least once it is empty.
        const room = Math.floor(limits.fetchBatch / eventsPerMessage) - queued.length;
        if (room < 1 && queued.length > 0) {
          await roomInQueue.wait(1_000);
          continue;
        }
        const end = await puller.pull(Math.max(1, room), limits.fetchExpiresMs);
        if (end.kind !== "failed") {
          failures = 0;
          continue;
        }
        failures += 1;
        stats.fetchFailures += 1;
        if (failures >= limits.maxConsecutiveFetchFailures) {
          throw new Error(
            `recorder gave up after ${failures} consecutive failed pulls: ${end.error.message}`,
          );
        }
        logger.warn({ err: end.error, failures }, "pull failed; retrying");
        await sleep(limits.fetchRetryDelayMs);
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
        ready = await prepare();
        groupReady.wake();
      }
    } finally {
      preparerDone = true;
      groupReady.wake();
    }
  }

  /**
   * Appends the prepared groups one at a time, in order, until the preparer is done and `ready` drained.
   * A group's messages are settled after its commit. When it committed without a transient failure, that
   * happens just after the next group's appendMany has been started, so that its acks (one NATS message
   * each) go out during that append's round trips instead of before it; with no next group ready, at once.
   * A group with a transient failure is retried in place (retryGroup) and settled before the next group is
   * looked at. If stop() cuts its retries short, it and every group after it are handed back to the server
   * in stream order, unappended: nothing newer may reach the log before it.
   */
  async function appendAll(): Promise<void> {
    /** The last group committed and not yet settled (never one with a transient failure). */
    let committed: { group: PreparedGroup; outcomes: RecordOutcome[] } | undefined;
    /** Set when a group was handed back unrecorded (stopping during a store failure). */
    let handingBack = false;
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
      if (handingBack) {
        await settleCommitted();
        await settleGroup(group, notAppended(group.inputs, HANDED_BACK), 0, true);
        continue;
      }
      // Starts the append (the store's synchronous checks and encoding run now, then its first query).
      const appending = appendValidated(store, group.inputs);
      await settleCommitted();
      const outcomes = await appending;
      if (!outcomes.some((outcome) => outcome.kind === "transient")) {
        committed = { group, outcomes };
        continue;
      }
      const { outcomes: final, attempts, handBack } = await retryGroup(group, outcomes);
      if (handBack) handingBack = true;
      await settleGroup(group, final, attempts, handBack);
    }
  }

  /** The puller's loop, once run() has started it. */
  let pulling: Promise<void> | undefined;

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
    pulling = pull();
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
    // Nothing is asked for any more (the last pull request ended before the puller did).
    puller?.close();
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
      stopSignal.wake();
      retriesOver.wake();
      await done;
      logger.info({ stats }, "recorder stopped");
    },
  };
}
