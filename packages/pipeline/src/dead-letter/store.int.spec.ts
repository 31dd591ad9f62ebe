import { type DomainEvent, type ParseResult, parseEvent } from "@icm/events";
import { describeWith, NATS_URL } from "@icm/testing";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sampleDeal, sampleRep } from "../ingest/sample-events.js";
import { eventsOfMessage, readStreamEvents } from "../nats/message.js";
import { createEventPublisher } from "../nats/publisher.js";
import { deleteStreams, ensureStreams, type NatsTopology, testTopology } from "../nats/topology.js";
import { type DeadLetterRecord, deadLetterMsgId, verbatim } from "./record.js";
import { createDeadLetterStore, type DeadLetterStore } from "./store.js";

const at = "2026-03-20T10:00:00.000Z";

function letter(original: string, extra: Partial<DeadLetterRecord> = {}): DeadLetterRecord {
  return { reason: "test", source: "ingest", original, originalEncoding: "utf8", receivedAt: at, ...extra };
}

await describeWith(["nats"], "dead-letter store", () => {
  let nc: NatsConnection;
  let topology: NatsTopology;
  let store: DeadLetterStore;

  async function eventCount(): Promise<number> {
    return (await readStreamEvents(await nc.jetstreamManager(), topology)).length;
  }

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    topology = testTopology("dead_letters");
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, topology);
    store = createDeadLetterStore(nc.jetstream(), jsm, topology, { now: () => new Date(at) });
  });

  afterAll(async () => {
    await deleteStreams(await nc.jetstreamManager(), topology);
    await nc.close();
  });

  it("adds letters once per original, lists them with their sequence, by source and in pages", async () => {
    const a = await store.add(letter('{"a":1}'));
    const again = await store.add(letter('{"a":1}', { reason: "same input, refused again" }));
    expect(again).toEqual({ seq: a.seq, duplicate: true });
    const b = await store.add(letter("row,b", { source: "import", file: "x.csv", line: 7 }));
    const c = await store.add(
      letter('{"c":3}', { source: "recorder", subject: "icm.events.DealClosed", eventId: "e-c" }),
    );

    const all = await store.list({ limit: 10 });
    expect(all.map((l) => l.seq)).toEqual([a.seq, b.seq, c.seq]);
    expect(all[0]?.record).toEqual(letter('{"a":1}'));
    expect((await store.list({ limit: 10, source: "import" })).map((l) => l.record)).toEqual([
      letter("row,b", { source: "import", file: "x.csv", line: 7 }),
    ]);
    expect((await store.list({ limit: 1, afterSeq: a.seq })).map((l) => l.seq)).toEqual([b.seq]);
    expect((await store.get(c.seq))?.record.eventId).toBe("e-c");
    expect(await store.get(c.seq + 100)).toBeUndefined();

    const jsm = await nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(topology.deadLetterStreamName, { seq: b.seq });
    expect(stored.subject).toBe(`${topology.deadLetterSubjectPrefix}.import`);
    expect(stored.header.get("Nats-Msg-Id")).toBe(deadLetterMsgId({ original: "row,b" }));
  });

  it("keeps input that is not UTF-8 as base64 and reports it as still invalid on replay", async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const kept = verbatim(bytes);
    expect(kept).toEqual({ original: Buffer.from(bytes).toString("base64"), originalEncoding: "base64" });
    const { seq } = await store.add({ ...letter(""), ...kept, reason: "body is not UTF-8 text" });
    const report = await store.replay(seq, { republish: createEventPublisher(nc.jetstream(), topology) });
    expect(report.replayed).toEqual([]);
    expect(report.stillInvalid).toEqual([
      { seq, reason: "input is not UTF-8 text", issues: [{ path: "$", rule: "must be UTF-8 JSON" }] },
    ]);
  });

  it("replays letters after a fix: valid ones are published and acknowledged, the rest reported", async () => {
    // The "plan fix": a validator that refused deals of an unknown product, then a fixed one.
    const refuseWidgets = (raw: unknown): ParseResult<DomainEvent> => {
      const result = parseEvent(raw);
      if (result.ok && result.value.type === "DealClosed" && result.value.data.product === "Widget") {
        return { ok: false, issues: [{ path: "data.product", rule: "must be a product of the plan" }] };
      }
      return result;
    };
    const jsm = await nc.jetstreamManager();
    const strict = createDeadLetterStore(nc.jetstream(), jsm, topology, {
      validate: refuseWidgets,
      now: () => new Date(at),
    });
    const relaxed = createDeadLetterStore(nc.jetstream(), jsm, topology, { now: () => new Date(at) });
    const republish = createEventPublisher(nc.jetstream(), topology);

    const widget = { ...sampleDeal("D-widget"), data: { ...sampleDeal("D-widget").data, product: "Widget" } };
    const widgetText = JSON.stringify(widget);
    const w = await strict.add(letter(widgetText, { eventId: widget.eventId, correlationId: "corr-w" }));
    const stillBad = await strict.add(letter('{"eventId":"junk","type":"Nope","schemaVersion":1,"data":{}}'));
    const rep = sampleRep("R-replay");
    const fromImport = await strict.add(
      letter("R-replay,Rep R-replay", {
        source: "import",
        candidate: JSON.stringify(rep),
        line: 2,
        file: "reps.csv",
      }),
    );

    const dry = await strict.replay("all", { republish, dryRun: true });
    expect(dry.replayed.map((r) => r.letterSeq)).toEqual([fromImport.seq]);
    const before = await eventCount();

    const first = await strict.replay(w.seq, { republish });
    expect(first.replayed).toEqual([]);
    expect(first.stillInvalid).toEqual([
      {
        seq: w.seq,
        reason: "event is still invalid",
        issues: [{ path: "data.product", rule: "must be a product of the plan" }],
      },
    ]);
    expect(await eventCount()).toBe(before);

    const fixed = await relaxed.replay("all", { republish });
    expect(fixed.replayed.map((r) => [r.letterSeq, r.eventId, r.duplicate])).toEqual([
      [w.seq, widget.eventId, false],
      [fromImport.seq, rep.eventId, false],
    ]);
    expect(fixed.stillInvalid.map((s) => s.seq)).toContain(stillBad.seq);
    expect(await eventCount()).toBe(before + 2);

    // The published event carries the correlation id of the request that first sent it.
    const message = await jsm.streams.getMessage(topology.streamName, { seq: fixed.replayed[0]?.seq ?? 0 });
    expect(eventsOfMessage(message.data)[0]).toEqual({
      ...widget,
      metadata: { correlationId: "corr-w" },
    });

    // Acknowledged: no longer pending, kept in the replay history.
    const pending = (await relaxed.list({ limit: 100 })).map((l) => l.seq);
    expect(pending).not.toContain(w.seq);
    expect(pending).not.toContain(fromImport.seq);
    expect(pending).toContain(stillBad.seq);
    const history = await relaxed.history({ limit: 100 });
    expect(history.map((h) => [h.letterSeq, h.eventId, h.replayedAt])).toEqual([
      [w.seq, widget.eventId, at],
      [fromImport.seq, rep.eventId, at],
    ]);
    expect(history[0]?.letter.original).toBe(widgetText);

    // Replaying an acknowledged letter again finds nothing.
    expect(await relaxed.replay(w.seq, { republish })).toEqual({
      replayed: [],
      stillInvalid: [],
      missing: [w.seq],
    });
  });
});
