import { makeEvent } from "@icm/events";
import { describeWith, NATS_URL } from "@icm/testing";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, expect, it } from "vitest";
import { natsReadiness } from "../health/readiness.js";
import { batchMsgId, batchSubject, DEFAULT_MAX_MESSAGE_EVENTS, eventsOfMessage } from "./message.js";
import { PublishError, publishEvents } from "./publisher.js";
import { deleteStreams, ensureStreams, type NatsTopology, streamsExist, testTopology } from "./topology.js";

function rep(id: string) {
  return makeEvent("RepOnboarded", `rep-onboarded-${id}`, {
    repId: id,
    name: `Rep ${id}`,
    planCurrency: "USD",
    hireDate: "2026-01-05",
  });
}

await describeWith(["nats"], "NATS publisher", () => {
  let nc: NatsConnection;
  const topology: NatsTopology = testTopology("publisher");

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    await ensureStreams(await nc.jetstreamManager(), topology);
  });
  afterAll(async () => {
    await deleteStreams(await nc.jetstreamManager(), topology);
    await nc.close();
  });

  it("creates both streams idempotently, with file storage, dedupe window and discard-new limits", async () => {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, topology);
    expect(await streamsExist(jsm, topology)).toBe(true);
    const info = await jsm.streams.info(topology.streamName);
    expect(info.config.storage).toBe("file");
    expect(info.config.discard).toBe("new");
    expect(info.config.duplicate_window).toBe(120_000_000_000);
    expect(info.config.subjects).toEqual([`${topology.subjectPrefix}.>`]);
  });

  it("stores an eventId once: the second publish is acknowledged as a duplicate of the same sequence", async () => {
    const js = nc.jetstream();
    const event = rep("R-dup");
    const first = await publishEvents(js, topology, [event]);
    const second = await publishEvents(js, topology, [event]);
    expect(first).toMatchObject({ stored: 1, duplicates: 0 });
    expect(second).toMatchObject({ stored: 0, duplicates: 1 });
    expect(second.published[0]?.seq).toBe(first.published[0]?.seq);
    const jsm = await nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(topology.streamName, { seq: first.published[0]?.seq ?? 0 });
    expect(stored.subject).toBe(`${topology.subjectPrefix}.RepOnboarded`);
    expect(stored.header.get("Nats-Msg-Id")).toBe(event.eventId);
    expect(JSON.parse(new TextDecoder().decode(stored.data))).toEqual(event);
  });

  it("publishes a batch larger than the in-flight bound, in input order, awaiting every ack", async () => {
    const js = nc.jetstream();
    const events = Array.from({ length: 40 }, (_, i) => rep(`R-batch-${String(i).padStart(3, "0")}`));
    const result = await publishEvents(js, topology, events, { maxInFlight: 4 });
    expect(result.stored).toBe(40);
    expect(result.published.map((p) => p.eventId)).toEqual(events.map((e) => e.eventId));
    const seqs = result.published.map((p) => p.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it("retries a publish nobody answers a bounded number of times, then fails naming the event", async () => {
    const nowhere = testTopology("publisher_nowhere");
    const failure = await publishEvents(nc.jetstream(), nowhere, [rep("R-lost")], {
      maxAttempts: 3,
      retryDelayMs: 5,
      ackTimeoutMs: 1_000,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PublishError);
    expect(failure).toMatchObject({ eventId: "rep-onboarded-R-lost", attempts: 3 });
  });

  it("times out a publish whose ack never comes, retries it with the same msg id, then fails", async () => {
    // A plain subscriber on the subject and no stream: the server sees a responder, so no 503 comes back,
    // and nobody ever acks.
    const silent = testTopology("publisher_silent");
    const seen: string[] = [];
    const listener = nc.subscribe(`${silent.subjectPrefix}.>`, {
      callback: (_error, message) => seen.push(message.headers?.get("Nats-Msg-Id") ?? ""),
    });
    await nc.flush();
    const failure = await publishEvents(nc.jetstream(), silent, [rep("R-silent")], {
      maxAttempts: 2,
      retryDelayMs: 5,
      ackTimeoutMs: 200,
    }).catch((error: unknown) => error);
    listener.unsubscribe();
    expect(failure).toBeInstanceOf(PublishError);
    expect(failure).toMatchObject({ eventId: "rep-onboarded-R-silent", attempts: 2 });
    expect((failure as PublishError).message).toMatch(/TIMEOUT/i);
    expect(seen).toEqual(["rep-onboarded-R-silent", "rep-onboarded-R-silent"]);
  });

  it("one message per event (maxMessageEvents 1): new events stored, repeated ones reported as duplicates, in input order", async () => {
    const js = nc.jetstream();
    const old = rep("R-mixed-old");
    await publishEvents(js, topology, [old]);
    const events = [rep("R-mixed-a"), old, rep("R-mixed-b")];
    const result = await publishEvents(js, topology, events, { maxInFlight: 2, maxMessageEvents: 1 });
    expect(result).toMatchObject({ stored: 2, duplicates: 1 });
    expect(result.published.map((p) => [p.eventId, p.duplicate])).toEqual([
      ["rep-onboarded-R-mixed-a", false],
      ["rep-onboarded-R-mixed-old", true],
      ["rep-onboarded-R-mixed-b", false],
    ]);
  });

  it("publishes events as messages of up to maxMessageEvents on <prefix>.batch; the same events again are duplicates message by message", async () => {
    const js = nc.jetstream();
    const jsm = await nc.jetstreamManager();
    const events = Array.from({ length: 250 }, (_, i) => rep(`R-many-${String(i).padStart(3, "0")}`));
    const before = (await jsm.streams.info(topology.streamName)).state.messages;
    const first = await publishEvents(js, topology, events);
    expect(first).toMatchObject({ stored: 250, duplicates: 0 });
    expect((await jsm.streams.info(topology.streamName)).state.messages).toBe(before + 3);
    // Events of one message share its sequence; messages are stored in input order.
    const seqs = [...new Set(first.published.map((p) => p.seq))];
    expect(seqs).toHaveLength(3);
    expect(first.published.map((p) => p.seq)).toEqual(
      events.map((_, i) => seqs[Math.floor(i / DEFAULT_MAX_MESSAGE_EVENTS)]),
    );
    const stored = await Promise.all(seqs.map((seq) => jsm.streams.getMessage(topology.streamName, { seq })));
    expect(stored.map((m) => m.subject)).toEqual(Array(3).fill(batchSubject(topology)));
    expect(stored[2]?.header.get("Nats-Msg-Id")).toBe(batchMsgId(events.slice(200).map((e) => e.eventId)));
    expect(stored.flatMap((m) => eventsOfMessage(m.data))).toEqual(events);

    // A retried request: every message is a duplicate of the one stored, nothing new is stored.
    const again = await publishEvents(js, topology, events);
    expect(again).toMatchObject({ stored: 0, duplicates: 250 });
    expect(again.published.map((p) => p.seq)).toEqual(first.published.map((p) => p.seq));
    expect((await jsm.streams.info(topology.streamName)).state.messages).toBe(before + 3);
  });

  it("does not retry what cannot succeed: an event larger than the message size limit", async () => {
    const big = { ...rep("R-big"), metadata: { note: "x".repeat(1024 * 1024) } };
    const failure = await publishEvents(nc.jetstream(), topology, [big], {
      maxAttempts: 3,
      retryDelayMs: 5,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PublishError);
    expect((failure as PublishError).attempts).toBe(1);
  });

  it("reports ready only with a live connection and both streams", async () => {
    expect((await natsReadiness(nc, topology)()).ready).toBe(true);
    const missing = await natsReadiness(nc, testTopology("publisher_missing"))();
    expect(missing.ready).toBe(false);
    expect(missing.checks.find((c) => c.name === "streams")?.ok).toBe(false);
    const closed = await connect({ servers: NATS_URL });
    await closed.close();
    expect(await natsReadiness(closed, topology)()).toEqual({
      ready: false,
      checks: [{ name: "nats", ok: false, detail: "connection closed" }],
    });
  });
});
