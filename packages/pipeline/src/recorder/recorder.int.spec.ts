import type { AppendResult, EventStore } from "@icm/event-store";
import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { canonicalJson, type DomainEvent, makeEvent } from "@icm/events";
import { describeWith, NATS_URL, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { connect, headers, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../dead-letter/store.js";
import { sampleHistory } from "../embedded/sample-history.js";
import { defaultValidator } from "../ingest/validator.js";
import { publishEvents } from "../nats/publisher.js";
import {
  deleteStreams,
  ensureStreams,
  eventSubject,
  type NatsTopology,
  testTopology,
} from "../nats/topology.js";
import type { RecorderLimits } from "./limits.js";
import { type RecorderOptions, type RunningRecorder, startRecorder } from "./recorder.js";

/**
 * One message per event, as publishers wrote before messages of several events (recorders still read it):
 * for the tests that count and watch messages one by one.
 */
const ONE_EACH = { maxMessageEvents: 1 } as const;

const logger = pino({ level: process.env.DEBUG_REC ? "debug" : "silent" });
const encoder = new TextEncoder();

async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function recordedIds(store: EventStore): Promise<string[]> {
  const ids: string[] = [];
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, limit: 1_000 });
    ids.push(...page.events.map((e) => e.eventId));
    after = page.checkpoint;
    if (page.isEnd) return ids;
  }
}

/**
 * The real store, with a hook in front of append and appendMany (called once per item, before the call):
 * to hold an append, or to fail it (the whole appendMany call, as a lost connection would), on purpose.
 */
function interceptAppends(store: EventStore, before: (eventId: string) => Promise<void>): EventStore {
  return {
    ...store,
    append: async (streamId, events, expected): Promise<AppendResult> => {
      await before(events[0]?.eventId ?? "");
      return store.append(streamId, events, expected);
    },
    appendMany: async (items) => {
      for (const item of items) await before(item.events[0]?.eventId ?? "");
      return store.appendMany(items);
    },
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    head: () => store.head(),
    verifyChain: (...args) => store.verifyChain(...args),
    close: () => store.close(),
  };
}

await describeWith(["nats", "postgres"], "recorder (NATS JetStream → PostgreSQL event store)", () => {
  let nc: NatsConnection;
  let topology: NatsTopology;
  let store: SqlEventStore;
  let deadLetters: DeadLetterStore;
  const running: RunningRecorder[] = [];
  const schema = uniqueTestName("recorder");

  async function start(
    recordTo: EventStore,
    limits: Partial<RecorderLimits> = {},
    extra: Pick<RecorderOptions, "validate" | "durableName"> = {},
  ): Promise<RunningRecorder> {
    const recorder = await startRecorder({
      nc,
      topology,
      store: recordTo,
      deadLetters,
      logger,
      limits,
      durableName: uniqueTestName("rec"),
      ...extra,
    });
    running.push(recorder);
    return recorder;
  }

  async function consumerInfo(recorderIndex = running.length - 1) {
    const jsm = await nc.jetstreamManager();
    const consumers = await jsm.consumers.list(topology.streamName).next();
    return consumers[recorderIndex] ?? consumers[0];
  }

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    store = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
  });
  afterAll(async () => {
    await store.executor.query(`drop schema if exists "${schema}" cascade`);
    await store.close();
    await nc.close();
  });
  // A fresh stream (and an empty log) per test: each test's counts are its own.
  afterEach(async () => {
    for (const recorder of running.splice(0)) await recorder.stop();
    await deleteStreams(await nc.jetstreamManager(), topology);
    await store.executor.query(`truncate "${schema}".events`);
  });
  const setUp = async () => {
    topology = testTopology("recorder");
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, topology);
    deadLetters = createDeadLetterStore(nc.jetstream(), jsm, topology);
  };

  it("records every event exactly once when the stream carries duplicates", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 20 });
    await publishEvents(nc.jetstream(), topology, events);
    // Re-published without a Nats-Msg-Id, so the stream keeps the copies and the recorder must dedupe them.
    const copies = events.slice(0, 10);
    for (const event of copies)
      await nc.jetstream().publish(eventSubject(topology, event.type), encoder.encode(canonicalJson(event)));
    const recorder = await start(store);
    await waitFor(
      "all deliveries",
      () => recorder.stats.recorded + recorder.stats.duplicates === events.length + copies.length,
    );
    const ids = await recordedIds(store);
    expect(ids).toEqual(events.map((e) => e.eventId));
    expect(recorder.stats).toMatchObject({
      recorded: events.length,
      duplicates: copies.length,
      deadLettered: 0,
    });
    await nc.flush();
    await waitFor("acks", async () => (await consumerInfo())?.num_ack_pending === 0);
    expect((await consumerInfo())?.num_pending).toBe(0);
    expect((await store.verifyChain()).ok).toBe(true);
  });

  it("acknowledges a message only after the store confirmed the append", async () => {
    await setUp();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let appendsStarted = 0;
    const gated = interceptAppends(store, async () => {
      appendsStarted += 1;
      await released;
    });
    const [event] = sampleHistory({ reps: 1, deals: 0 }) as [DomainEvent];
    await publishEvents(nc.jetstream(), topology, [event]);
    const recorder = await start(gated);
    await waitFor("the append to start", () => appendsStarted === 1);
    // Held inside the append: delivered, not acknowledged, nothing in the log.
    const during = await consumerInfo();
    expect(during?.num_ack_pending).toBe(1);
    expect(during?.ack_floor.stream_seq).toBe(0);
    expect(await recordedIds(store)).toEqual([]);
    release();
    await waitFor("the record", () => recorder.stats.recorded === 1);
    await nc.flush();
    await waitFor("the ack", async () => (await consumerInfo())?.num_ack_pending === 0);
    expect((await consumerInfo())?.ack_floor.stream_seq).toBe(1);
    expect(await recordedIds(store)).toEqual([event.eventId]);
  });

  it("gets a message again when the handler stalls past ack_wait, and still records it once", async () => {
    await setUp();
    let stalls = 0;
    const stalling = interceptAppends(store, async () => {
      stalls += 1;
      if (stalls === 1) await new Promise((resolve) => setTimeout(resolve, 2_500));
    });
    const [event] = sampleHistory({ reps: 1, deals: 0 }) as [DomainEvent];
    await publishEvents(nc.jetstream(), topology, [event]);
    // The pull stays open past the 1 s ack wait, so the server redelivers into it while the first append stalls.
    const recorder = await start(stalling, {
      ackWaitMs: 1_000,
      backoffMs: [1_000],
      maxDeliver: 5,
      fetchExpiresMs: 5_000,
    });
    await waitFor("the redelivered copy", () => recorder.stats.duplicates >= 1);
    expect(recorder.stats.redeliveries).toBeGreaterThanOrEqual(1);
    expect(recorder.stats.recorded).toBe(1);
    expect(await recordedIds(store)).toEqual([event.eventId]);
  });

  it("dead-letters poison messages with their reason, terminates them, and carries on", async () => {
    await setUp();
    const js = nc.jetstream();
    const [calendar, fx] = sampleHistory({ reps: 1, deals: 0 }) as [DomainEvent, DomainEvent];
    const subject = eventSubject(topology, "DealClosed");
    await js.publish(subject, encoder.encode("{not json"));
    await js.publish(subject, new Uint8Array([0xff, 0xfe, 0x00]));
    const badAmount = makeEvent("DealClosed", "deal-bad", {
      dealId: "D-1",
      amount: "12,50",
      currency: "USD",
      closeDate: "2026-02-01",
      product: "p",
      dealType: "new",
      splits: [{ repId: "R-1", share: "1" }],
    });
    await js.publish(subject, encoder.encode(canonicalJson(badAmount)));
    await publishEvents(js, topology, [calendar]);
    // Same eventId as the calendar event, different content: an idempotency conflict in the store.
    const changed = { ...calendar, data: { ...calendar.data, timeZone: "Europe/Paris" } };
    const h = headers();
    h.set("Nats-Msg-Id", "another-message-id");
    await js.publish(eventSubject(topology, calendar.type), encoder.encode(canonicalJson(changed)), {
      headers: h,
    });
    await publishEvents(js, topology, [fx]);
    const recorder = await start(store);
    await waitFor("every message", () => recorder.stats.recorded + recorder.stats.deadLettered === 6);
    expect(recorder.stats).toMatchObject({ recorded: 2, deadLettered: 4 });
    expect(await recordedIds(store)).toEqual([calendar.eventId, fx.eventId]);
    const letters = (await deadLetters.list({ limit: 10, source: "recorder" })).map((l) => l.record);
    expect(letters.map((l) => l.reason)).toEqual([
      "message body is not JSON",
      "message body is not UTF-8",
      "event failed validation",
      expect.stringMatching(/^event id already recorded with different content/),
    ]);
    expect(letters[0]).toMatchObject({ original: "{not json", originalEncoding: "utf8", subject });
    expect(letters[1]).toMatchObject({
      original: Buffer.from([0xff, 0xfe, 0x00]).toString("base64"),
      originalEncoding: "base64",
    });
    expect(letters[2]?.issues).toEqual([expect.objectContaining({ path: "data.amount" })]);
    expect(letters[2]).toMatchObject({ eventId: "deal-bad", original: canonicalJson(badAmount) });
    expect(letters[3]).toMatchObject({ eventId: calendar.eventId, original: canonicalJson(changed) });
    await nc.flush();
    // Terminated messages are done with: nothing pending, nothing waiting for an ack.
    await waitFor("terminations", async () => (await consumerInfo())?.num_ack_pending === 0);
    expect((await consumerInfo())?.num_pending).toBe(0);
  });

  it("retries a failing append in place, then dead-letters the event once its attempts are used up", async () => {
    await setUp();
    const [calendar, fx] = sampleHistory({ reps: 1, deals: 0 }) as [DomainEvent, DomainEvent];
    let failures = 0;
    const failing = interceptAppends(store, async (eventId) => {
      if (eventId === calendar.eventId) {
        failures += 1;
        throw new Error("connection reset by peer");
      }
    });
    await publishEvents(nc.jetstream(), topology, [calendar]);
    const recorder = await start(failing, { appendAttempts: 3, nakDelayBaseMs: 50 });
    await waitFor("the dead letter", () => recorder.stats.deadLettered === 1);
    // One delivery, three appends of it (appendAttempts), nothing nak'ed or redelivered;
    // the last failed attempt dead-letters it instead of blocking the recorder.
    expect(failures).toBe(3);
    expect(recorder.stats).toMatchObject({
      received: 1,
      redeliveries: 0,
      transientFailures: 3,
      appendRetries: 2,
      recorded: 0,
    });
    const [letter] = await deadLetters.list({ limit: 10, source: "recorder" });
    expect(letter?.record.reason).toMatch(
      /^store unavailable: connection reset by peer \(after 3 attempts\)$/,
    );
    expect(letter?.record).toMatchObject({
      original: canonicalJson(calendar),
      subject: eventSubject(topology, calendar.type),
    });
    // The consumer carries on with the next event.
    await publishEvents(nc.jetstream(), topology, [fx]);
    await waitFor("the next event", () => recorder.stats.recorded === 1);
    expect(await recordedIds(store)).toEqual([fx.eventId]);
  });

  /** The store with every appendMany held until released; counts the items of the held calls. */
  function gateAppendMany(recordTo: EventStore) {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gate = { heldItems: 0, release: () => release() };
    const store: EventStore = {
      ...recordTo,
      appendMany: async (items) => {
        gate.heldItems += items.length;
        await released;
        return recordTo.appendMany(items);
      },
    };
    return { gate, store };
  }

  /**
   * The store with each appendMany call held until released, one call at a time, in call order; notes the
   * event ids of each call and, once its transaction has committed (the call returned), each of them.
   */
  function gateEachAppendMany(recordTo: EventStore) {
    const calls: { eventIds: string[] }[] = [];
    const committed = new Set<string>();
    let released = 0;
    let wake: () => void = () => undefined;
    const gate = {
      calls,
      committed,
      releaseNext: () => {
        released += 1;
        wake();
      },
      releaseAll: () => {
        released = Number.POSITIVE_INFINITY;
        wake();
      },
    };
    const store: EventStore = {
      ...recordTo,
      appendMany: async (items) => {
        const call = { eventIds: items.map((item) => item.events[0]?.eventId ?? "") };
        calls.push(call);
        const position = calls.length;
        while (released < position) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        const outcomes = await recordTo.appendMany(items);
        for (const id of call.eventIds) committed.add(id);
        return outcomes;
      },
    };
    return { gate, store };
  }

  /** A validator that counts its calls (one per decoded message), to see how far ahead validation runs. */
  function countingValidator() {
    const counter = {
      calls: 0,
      validate: (raw: unknown) => {
        counter.calls += 1;
        return defaultValidator(raw);
      },
    };
    return counter;
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("validates the next group while one is appended, holds at most three batches, and keeps the stream order", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 40 }).slice(0, 50);
    await publishEvents(nc.jetstream(), topology, events, ONE_EACH);
    const { gate, store: gated } = gateEachAppendMany(store);
    const counted = countingValidator();
    try {
      const recorder = await start(gated, { fetchBatch: 10 }, { validate: counted.validate });
      await waitFor("the first append to start", () => gate.calls.length === 1);
      const held = gate.calls[0]?.eventIds.length ?? 0;
      // While that append is held, the group after it is validated (the pipeline), and a batch is pulled
      // behind that one; then everything stops: one group appending, one validated, one batch queued.
      await waitFor("the next group validated", () => counted.calls > held);
      await waitFor(
        "a batch pulled behind it",
        async () => (await consumerInfo())?.num_ack_pending === counted.calls + 10,
      );
      const validatedAhead = counted.calls - held;
      await sleep(300);
      const during = await consumerInfo();
      expect(counted.calls).toBe(held + validatedAhead);
      expect(validatedAhead).toBeLessThanOrEqual(10);
      expect(during?.num_ack_pending).toBe(held + validatedAhead + 10);
      expect(during?.num_ack_pending).toBeLessThanOrEqual(30);
      expect(during?.ack_floor.stream_seq).toBe(0);
      expect(gate.calls).toHaveLength(1);
      expect(await recordedIds(store)).toEqual([]);
      gate.releaseAll();
      await waitFor("all events", () => recorder.stats.recorded === events.length);
      expect(counted.calls).toBe(events.length);
      expect(gate.calls.flatMap((call) => call.eventIds)).toEqual(events.map((e) => e.eventId));
      expect(await recordedIds(store)).toEqual(events.map((e) => e.eventId));
      await nc.flush();
      await waitFor("the acks", async () => (await consumerInfo())?.num_ack_pending === 0);
      expect((await consumerInfo())?.ack_floor.stream_seq).toBe(events.length);
      expect((await store.verifyChain()).ok).toBe(true);
    } finally {
      gate.releaseAll();
    }
  });

  it("acknowledges each message only after the commit of the appendMany holding it, in stream order", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 40 }).slice(0, 45);
    const { published } = await publishEvents(nc.jetstream(), topology, events, ONE_EACH);
    const eventIdAt = new Map(published.map((p) => [p.seq, p.eventId]));
    const durableName = uniqueTestName("rec");
    const { gate, store: gated } = gateEachAppendMany(store);
    // The acks themselves, as NATS carries them to the server ($JS.ACK.<stream>.<consumer>.<delivery
    // count>.<stream seq>...; 12 tokens when the server adds domain and account), with whether the event
    // had been committed when its ack was sent.
    const acks: { seq: number; kind: string; afterCommit: boolean }[] = [];
    const decoder = new TextDecoder();
    const watch = nc.subscribe(`$JS.ACK.${topology.streamName}.${durableName}.>`, {
      callback: (_error, message) => {
        const tokens = message.subject.split(".");
        const seq = Number(tokens.length === 9 ? tokens[5] : tokens[7]);
        const eventId = eventIdAt.get(seq) ?? "";
        acks.push({ seq, kind: decoder.decode(message.data), afterCommit: gate.committed.has(eventId) });
      },
    });
    await nc.flush();
    try {
      await start(gated, { fetchBatch: 10 }, { durableName });
      let acknowledged = 0;
      for (let call = 1; acknowledged < events.length; call += 1) {
        await waitFor(`append call ${call}`, () => gate.calls.length >= call);
        // Held: none of its messages is acknowledged, however long it takes.
        await sleep(150);
        expect(acks).toHaveLength(acknowledged);
        gate.releaseNext();
        acknowledged += gate.calls[call - 1]?.eventIds.length ?? 0;
        await waitFor(`the acks of call ${call}`, () => acks.length === acknowledged);
      }
      expect(acks.every((ack) => ack.kind === "+ACK" && ack.afterCommit)).toBe(true);
      expect(acks.map((ack) => ack.seq)).toEqual(published.map((p) => p.seq));
      expect(gate.calls.length).toBeGreaterThan(1);
      expect(await recordedIds(store)).toEqual(events.map((e) => e.eventId));
    } finally {
      gate.releaseAll();
      watch.unsubscribe();
    }
  });

  it("dead-letters bad messages inside a group while the rest of the group lands in order; a repeat is a no-op", async () => {
    await setUp();
    const js = nc.jetstream();
    const good = sampleHistory({ reps: 3, deals: 20 }).slice(0, 20);
    await publishEvents(js, topology, good.slice(0, 10), ONE_EACH);
    const subject = eventSubject(topology, "DealClosed");
    const badAmount = makeEvent("DealClosed", "deal-bad", {
      dealId: "D-1",
      amount: "12,50",
      currency: "USD",
      closeDate: "2026-02-01",
      product: "p",
      dealType: "new",
      splits: [{ repId: "R-1", share: "1" }],
    });
    await js.publish(subject, encoder.encode(canonicalJson(badAmount)));
    await js.publish(subject, encoder.encode("{not json"));
    // The same event again, without a Nats-Msg-Id: the stream keeps the copy, the store must answer duplicate.
    const repeated = good[3] as DomainEvent;
    await js.publish(eventSubject(topology, repeated.type), encoder.encode(canonicalJson(repeated)));
    await publishEvents(js, topology, good.slice(10), ONE_EACH);
    const calls: string[][] = [];
    const watched: EventStore = {
      ...store,
      appendMany: (items) => {
        calls.push(items.map((item) => item.events[0]?.eventId ?? ""));
        return store.appendMany(items);
      },
    };
    const recorder = await start(watched, { fetchBatch: 50 });
    await waitFor(
      "every message",
      () =>
        recorder.stats.recorded + recorder.stats.duplicates + recorder.stats.deadLettered === good.length + 3,
    );
    // Every message was settled on its first delivery: nothing around the bad ones was held back or nak'ed.
    expect(recorder.stats).toMatchObject({
      received: 23,
      recorded: 20,
      duplicates: 1,
      deadLettered: 2,
      redeliveries: 0,
      transientFailures: 0,
    });
    // The appendMany calls got every valid message once, in stream order, the bad ones left out (how the
    // messages were split into groups depends on how they arrived; record.unit.spec checks one group).
    const ids = good.map((e) => e.eventId);
    expect(calls.flat()).toEqual([...ids.slice(0, 10), repeated.eventId, ...ids.slice(10)]);
    expect(await recordedIds(store)).toEqual(ids);
    const letters = (await deadLetters.list({ limit: 10, source: "recorder" })).map((l) => l.record);
    expect(letters.map((l) => [l.reason, l.eventId])).toEqual([
      ["event failed validation", "deal-bad"],
      ["message body is not JSON", undefined],
    ]);
    await nc.flush();
    await waitFor("acks and terminations", async () => (await consumerInfo())?.num_ack_pending === 0);
    expect((await consumerInfo())?.num_pending).toBe(0);
    expect((await store.verifyChain()).ok).toBe(true);
  });

  it("after a failed append, holds back the groups behind it and records every event once, in stream order", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 40 }).slice(0, 40);
    await publishEvents(nc.jetstream(), topology, events);
    const failOn = (events[15] as DomainEvent).eventId;
    let failures = 0;
    const failingOnce = interceptAppends(store, async (eventId) => {
      if (eventId === failOn && failures === 0) {
        failures += 1;
        throw new Error("connection reset by peer");
      }
    });
    const recorder = await start(failingOnce, { fetchBatch: 10, nakDelayBaseMs: 50 });
    await waitFor("all events", () => recorder.stats.recorded === events.length);
    expect(failures).toBe(1);
    // The failed group was appended again in place (its events failed once each), nothing was nak'ed.
    expect(recorder.stats).toMatchObject({ deadLettered: 0, appendRetries: 1, redeliveries: 0 });
    expect(recorder.stats.transientFailures).toBeGreaterThanOrEqual(1);
    // Every event once, in stream order: nothing behind the failed group was appended before it.
    expect(await recordedIds(store)).toEqual(events.map((e) => e.eventId));
    await nc.flush();
    await waitFor("the acks", async () => (await consumerInfo())?.num_ack_pending === 0);
    expect((await consumerInfo())?.num_pending).toBe(0);
    expect((await store.verifyChain()).ok).toBe(true);
  });

  it("keeps the held messages alive through a retry pause longer than the ack wait: nothing is redelivered", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 40 }).slice(0, 30);
    await publishEvents(nc.jetstream(), topology, events);
    const failOn = (events[12] as DomainEvent).eventId;
    let failures = 0;
    const failingOnce = interceptAppends(store, async (eventId) => {
      if (eventId === failOn && failures === 0) {
        failures += 1;
        throw new Error("connection reset by peer");
      }
    });
    // The pause before the second attempt (2.5 s) is longer than the ack wait (1 s): without the keep-alives
    // the server would redeliver the failed group and the ones behind it meanwhile.
    const recorder = await start(failingOnce, {
      fetchBatch: 10,
      ackWaitMs: 1_000,
      backoffMs: [1_000],
      nakDelayBaseMs: 2_500,
    });
    await waitFor("all events", () => recorder.stats.recorded === events.length);
    expect(recorder.stats).toMatchObject({ appendRetries: 1, redeliveries: 0, duplicates: 0 });
    expect(await recordedIds(store)).toEqual(events.map((e) => e.eventId));
    await nc.flush();
    await waitFor("the acks", async () => (await consumerInfo())?.num_ack_pending === 0);
  });

  for (const maxMessageEvents of [1, 4]) {
    it(`stopped while the store fails, hands the failed group and everything after it back, in order; the next instance records them in stream order (${maxMessageEvents} event(s) per message)`, async () => {
      await setUp();
      const events = sampleHistory({ reps: 3, deals: 40 }).slice(0, 30);
      await publishEvents(nc.jetstream(), topology, events, { maxMessageEvents });
      const failOn = (events[12] as DomainEvent).eventId;
      let storeDown = true;
      let failures = 0;
      const failing = interceptAppends(store, async (eventId) => {
        if (eventId === failOn && storeDown) {
          failures += 1;
          throw new Error("connection reset by peer");
        }
      });
      const durableName = uniqueTestName("rec_handback");
      const limits = { fetchBatch: 10, nakDelayBaseMs: 5_000, ackWaitMs: 2_000, backoffMs: [2_000] };
      const first = await start(failing, limits, { durableName });
      await waitFor("the failed append", () => failures === 1);
      // Inside its first retry pause (5 s): stop() cuts it short.
      await first.stop();
      expect(first.stats).toMatchObject({ transientFailures: expect.any(Number), appendRetries: 0 });
      const before = await recordedIds(store);
      // Only whole groups before the failed one are in the log, in order.
      expect(before).toEqual(events.slice(0, before.length).map((e) => e.eventId));
      expect(before).not.toContain(failOn);
      storeDown = false;
      const second = await start(store, limits, { durableName });
      await waitFor("every event", async () => (await recordedIds(store)).length === events.length);
      expect(await recordedIds(store)).toEqual(events.map((e) => e.eventId));
      expect(second.stats.deadLettered + first.stats.deadLettered).toBe(0);
      await nc.flush();
      await waitFor("the acks", async () => (await consumerInfo())?.num_ack_pending === 0);
      expect((await consumerInfo())?.num_pending).toBe(0);
      expect((await store.verifyChain()).ok).toBe(true);
    });
  }

  it("a message of several events: each bad one is dead-lettered with its exact span, the rest recorded in order, the message settled once", async () => {
    await setUp();
    const js = nc.jetstream();
    const good = sampleHistory({ reps: 3, deals: 20 }).slice(0, 6);
    await publishEvents(js, topology, good.slice(0, 2));
    const repeated = good[1] as DomainEvent;
    // Written by hand: spaces, a key order of the sender's own, an amount the store would re-write.
    const badText =
      '{ "type": "DealClosed", "eventId": "deal-bad-span", "schemaVersion": 1, "data": { "dealId": "D-9", "amount": "12,50", "currency": "USD", "closeDate": "2026-02-01", "product": "p", "dealType": "new", "splits": [{ "repId": "R-1", "share": "1.0" }] }, "metadata": {} }';
    const body = `[ ${canonicalJson(good[2])},\n ${badText} , ${canonicalJson(repeated)}, 42, ${canonicalJson(good[3])} ]`;
    await js.publish(`${topology.subjectPrefix}.batch`, encoder.encode(body));
    await js.publish(`${topology.subjectPrefix}.batch`, encoder.encode("[]"));
    await publishEvents(js, topology, good.slice(4));
    const recorder = await start(store);
    await waitFor("every event", () => recorder.stats.receivedEvents === 2 + 5 + 1 + 2);
    await waitFor(
      "every event settled",
      () => recorder.stats.recorded + recorder.stats.duplicates + recorder.stats.deadLettered === 10,
    );
    expect(recorder.stats).toMatchObject({
      received: 4,
      receivedEvents: 10,
      recorded: 6,
      duplicates: 1,
      deadLettered: 3,
      redeliveries: 0,
    });
    expect(await recordedIds(store)).toEqual(good.map((e) => e.eventId));
    const letters = (await deadLetters.list({ limit: 10, source: "recorder" })).map((l) => l.record);
    expect(letters.map((l) => [l.reason, l.eventId, l.original])).toEqual([
      ["event failed validation", "deal-bad-span", badText],
      ["event failed validation", undefined, "42"],
      ["message holds no events", undefined, "[]"],
    ]);
    expect(letters[0]?.subject).toBe(`${topology.subjectPrefix}.batch`);
    // Settled once each, on the first delivery: the batch message acknowledged, the empty one terminated.
    await nc.flush();
    await waitFor("acks and terminations", async () => (await consumerInfo())?.num_ack_pending === 0);
    expect((await consumerInfo())?.num_pending).toBe(0);
    expect((await consumerInfo())?.num_redelivered).toBe(0);
  });

  it("groups are bounded in events, a message is never split between two appendMany calls, and pulls are sized in events", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 200 }).slice(0, 202);
    await publishEvents(nc.jetstream(), topology, events, { maxMessageEvents: 4 });
    const { gate, store: gated } = gateEachAppendMany(store);
    try {
      const recorder = await start(gated, { fetchBatch: 10 });
      await waitFor("the first append to start", () => gate.calls.length === 1);
      // Held: the pipeline fills up and stops. Sized in messages it would hold 30 (a group appending, one
      // validated, one pulled, 10 messages each: 120 events); sized in events, the first pull's 10
      // messages (before any message was seen, one event each is assumed) and nothing more.
      await sleep(500);
      expect((await consumerInfo())?.num_ack_pending).toBeLessThanOrEqual(12);
      gate.releaseAll();
      await waitFor("all events", () => recorder.stats.recorded === events.length);
      const sizes = gate.calls.map((call) => call.eventIds.length);
      // Messages of 4 (the last of 2), taken until a group reaches 10 events: 12 (3 messages) each.
      expect(sizes.every((size) => size % 4 === 0 || size === sizes.at(-1))).toBe(true);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(10 + 4 - 1);
      expect(gate.calls.flatMap((call) => call.eventIds)).toEqual(events.map((e) => e.eventId));
      expect(recorder.stats).toMatchObject({ received: 51, receivedEvents: 202, duplicates: 0 });
      await nc.flush();
      await waitFor("the acks", async () => (await consumerInfo())?.num_ack_pending === 0);
      expect((await store.verifyChain()).ok).toBe(true);
    } finally {
      gate.releaseAll();
    }
  });

  it("on stop, records and acknowledges everything already delivered, then pulls nothing more", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 40 }).slice(0, 50);
    await publishEvents(nc.jetstream(), topology, events, ONE_EACH);
    const { gate, store: gated } = gateEachAppendMany(store);
    const counted = countingValidator();
    try {
      const recorder = await start(gated, { fetchBatch: 10 }, { validate: counted.validate });
      await waitFor("the first append to start", () => gate.calls.length === 1);
      const held = gate.calls[0]?.eventIds.length ?? 0;
      await waitFor("the next group validated", () => counted.calls > held);
      await waitFor(
        "a batch pulled behind it",
        async () => (await consumerInfo())?.num_ack_pending === counted.calls + 10,
      );
      const delivered = counted.calls + 10;
      const stopped = recorder.stop();
      gate.releaseAll();
      await stopped;
      await nc.flush();
      // What was delivered is in the log, in order, and acknowledged; nothing after it was pulled.
      expect(await recordedIds(store)).toEqual(events.slice(0, delivered).map((e) => e.eventId));
      expect(recorder.stats).toMatchObject({ recorded: delivered, received: delivered });
      await waitFor("the acks", async () => (await consumerInfo())?.num_ack_pending === 0);
      const after = await consumerInfo();
      expect(after?.ack_floor.stream_seq).toBe(delivered);
      expect(after?.delivered.stream_seq).toBe(delivered);
    } finally {
      gate.releaseAll();
    }
  });

  it("can be stopped during its start-up wait for a previous instance's unacknowledged messages", async () => {
    await setUp();
    const [event] = sampleHistory({ reps: 1, deals: 0 }) as [DomainEvent];
    await publishEvents(nc.jetstream(), topology, [event]);
    const durableName = uniqueTestName("rec_shared");
    const { gate, store: gated } = gateAppendMany(store);
    try {
      // The first instance holds the message, unacknowledged, inside its append.
      const first = await startRecorder({ nc, topology, store: gated, deadLetters, logger, durableName });
      running.push(first);
      await waitFor("the first append to start", () => gate.heldItems > 0);
      // The second finds it unacknowledged: it returns at once and waits (ack wait 30 s) before pulling;
      // stop() ends that wait, and it never pulled anything.
      const second = await startRecorder({
        nc,
        topology,
        store,
        deadLetters,
        logger,
        durableName,
        limits: { ackWaitMs: 30_000 },
      });
      await second.stop();
      await second.done;
      expect(second.stats.received).toBe(0);
      expect(await recordedIds(store)).toEqual([]);
      gate.release();
      await waitFor("the first instance's record", () => first.stats.recorded === 1);
      expect(await recordedIds(store)).toEqual([event.eventId]);
    } finally {
      gate.release();
    }
  });
});
