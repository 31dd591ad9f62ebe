import type { AppendResult, EventStore } from "@icm/event-store";
import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { canonicalJson, type DomainEvent, makeEvent } from "@icm/events";
import { describeWith, NATS_URL, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { connect, headers, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../dead-letter/store.js";
import { sampleHistory } from "../embedded/sample-history.js";
import { publishEvents } from "../nats/publisher.js";
import {
  deleteStreams,
  ensureStreams,
  eventSubject,
  type NatsTopology,
  testTopology,
} from "../nats/topology.js";
import type { RecorderLimits } from "./limits.js";
import { type RunningRecorder, startRecorder } from "./recorder.js";

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

  async function start(recordTo: EventStore, limits: Partial<RecorderLimits> = {}): Promise<RunningRecorder> {
    const recorder = await startRecorder({
      nc,
      topology,
      store: recordTo,
      deadLetters,
      logger,
      limits,
      durableName: uniqueTestName("rec"),
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

  it("naks on store errors and dead-letters the event once its deliveries are used up", async () => {
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
    const recorder = await start(failing, {
      ackWaitMs: 2_000,
      backoffMs: [2_000],
      maxDeliver: 3,
      nakDelayBaseMs: 50,
    });
    await waitFor("the dead letter", () => recorder.stats.deadLettered === 1);
    // Each delivery either tried the append (and nak'ed) or, delivered into a pull that was being stopped,
    // was held back; either way the third and last delivery dead-letters it instead of letting it expire.
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(recorder.stats.transientFailures).toBe(failures);
    // A delivery into a pull being stopped may never reach the handler (it then expires and comes back), but
    // the first and the last one always do.
    expect(recorder.stats.received).toBeGreaterThanOrEqual(2);
    expect(recorder.stats.redeliveries).toBeGreaterThanOrEqual(1);
    const [letter] = await deadLetters.list({ limit: 10, source: "recorder" });
    expect(letter?.record.reason).toMatch(/^store unavailable: .*\(after 3 deliveries\)$/);
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

  it("pulls the next batch while one commits, acks nothing before its commit, and keeps the stream order", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 20 }).slice(0, 30);
    await publishEvents(nc.jetstream(), topology, events);
    const { gate, store: gated } = gateAppendMany(store);
    try {
      const recorder = await start(gated, { fetchBatch: 10 });
      await waitFor("the first append to start", () => gate.heldItems > 0);
      // The group being committed is held; a full batch is pulled behind it meanwhile, and no more.
      const held = gate.heldItems;
      await waitFor(
        "one batch pulled ahead",
        async () => (await consumerInfo())?.num_ack_pending === held + 10,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const during = await consumerInfo();
      expect(during?.num_ack_pending).toBe(held + 10);
      expect(during?.ack_floor.stream_seq).toBe(0);
      expect(await recordedIds(store)).toEqual([]);
      gate.release();
      await waitFor("all events", () => recorder.stats.recorded === events.length);
      expect(await recordedIds(store)).toEqual(events.map((e) => e.eventId));
      await nc.flush();
      await waitFor("the acks", async () => (await consumerInfo())?.num_ack_pending === 0);
      expect((await consumerInfo())?.ack_floor.stream_seq).toBe(events.length);
      expect((await store.verifyChain()).ok).toBe(true);
    } finally {
      gate.release();
    }
  });

  it("on stop, records and acknowledges everything already delivered, then pulls nothing more", async () => {
    await setUp();
    const events = sampleHistory({ reps: 3, deals: 20 }).slice(0, 30);
    await publishEvents(nc.jetstream(), topology, events);
    const { gate, store: gated } = gateAppendMany(store);
    try {
      const recorder = await start(gated, { fetchBatch: 10 });
      await waitFor("the first append to start", () => gate.heldItems > 0);
      const delivered = gate.heldItems + 10;
      await waitFor(
        "one batch pulled ahead",
        async () => (await consumerInfo())?.num_ack_pending === delivered,
      );
      const stopped = recorder.stop();
      gate.release();
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
      gate.release();
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
