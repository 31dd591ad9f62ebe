import { SECTION_8_PLAN } from "@icm/engine";
import { canonicalDigest } from "@icm/events";
import { describeWith, NATS_URL } from "@icm/testing";
import type { FastifyInstance } from "fastify";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeadLetterStore, type DeadLetterStore } from "../dead-letter/store.js";
import { natsReadiness } from "../health/readiness.js";
import { createLogger } from "../logging/logger.js";
import { readStreamEvents } from "../nats/message.js";
import { createEventPublisher, type EventPublisher } from "../nats/publisher.js";
import { deleteStreams, ensureStreams, type NatsTopology, testTopology } from "../nats/topology.js";
import { buildIngestApp } from "./app.js";
import { sampleDeal, sampleRep } from "./sample-events.js";
import { installGracefulShutdown } from "./shutdown.js";

const silent = createLogger({ level: "silent", name: "test" });

await describeWith(["nats"], "ingest HTTP app", () => {
  let nc: NatsConnection;
  let topology: NatsTopology;
  let publisher: EventPublisher;
  let deadLetters: DeadLetterStore;
  let app: FastifyInstance;
  const limits = { bodyLimitBytes: 64 * 1024, maxBatchEvents: 3, maxEventBytes: 16 * 1024 };

  async function streamEvents(): Promise<number> {
    return (await readStreamEvents(await nc.jetstreamManager(), topology)).length;
  }

  async function lastEvent(): Promise<Record<string, unknown>> {
    const events = await readStreamEvents(await nc.jetstreamManager(), topology);
    return events.at(-1) as Record<string, unknown>;
  }

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    topology = testTopology("ingest");
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, topology);
    publisher = createEventPublisher(nc.jetstream(), topology);
    deadLetters = createDeadLetterStore(nc.jetstream(), jsm, topology);
    app = buildIngestApp({
      publisher,
      deadLetters,
      limits,
      logger: silent,
      readiness: natsReadiness(nc, topology),
      now: () => new Date("2026-03-20T10:00:00Z"),
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await deleteStreams(await nc.jetstreamManager(), topology);
    await nc.close();
  });

  describe("POST /events", () => {
    it("accepts one valid event: 202 after the ack, the message stored with the request's correlation id", async () => {
      const before = await streamEvents();
      const event = sampleRep("R-single");
      const response = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "content-type": "application/json", "x-correlation-id": "corr-single-1" },
        payload: JSON.stringify(event),
      });
      expect(response.statusCode).toBe(202);
      expect(response.headers["x-correlation-id"]).toBe("corr-single-1");
      expect(response.json()).toEqual({
        accepted: 1,
        duplicates: 0,
        eventIds: [event.eventId],
        correlationId: "corr-single-1",
      });
      expect(await streamEvents()).toBe(before + 1);
      expect(await lastEvent()).toEqual({ ...event, metadata: { correlationId: "corr-single-1" } });
    });

    it("accepts a JSON array and { events: [...] }; sending them again reports duplicates and stores nothing", async () => {
      const batch = [sampleRep("R-b1"), sampleDeal("D-b1"), sampleDeal("D-b2")];
      const before = await streamEvents();
      const asArray = await app.inject({ method: "POST", url: "/events", payload: batch });
      expect(asArray.statusCode).toBe(202);
      expect(asArray.json()).toMatchObject({
        accepted: 3,
        duplicates: 0,
        eventIds: batch.map((e) => e.eventId),
      });
      const generated = asArray.headers["x-correlation-id"];
      expect(typeof generated).toBe("string");
      expect((await lastEvent()).metadata).toEqual({ correlationId: generated });

      const again = await app.inject({ method: "POST", url: "/events", payload: { events: batch } });
      expect(again.statusCode).toBe(202);
      expect(again.json()).toMatchObject({ accepted: 3, duplicates: 3 });
      expect(await streamEvents()).toBe(before + 3);
    });

    it("keeps a sender's own metadata.correlationId", async () => {
      const event = { ...sampleRep("R-own"), metadata: { correlationId: "from-crm", source: "crm" } };
      const response = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "x-correlation-id": "from-header" },
        payload: event,
      });
      expect(response.statusCode).toBe(202);
      expect((await lastEvent()).metadata).toEqual({ correlationId: "from-crm", source: "crm" });
    });

    it("rejects an invalid event with 400 naming field and rule, and dead-letters the body verbatim", async () => {
      const before = await streamEvents();
      const body = `{ "eventId": "deal-closed-bad-1", "type": "DealClosed", "schemaVersion": 2,
        "data": { "dealId": "D-bad-1", "amount": "12,50", "currency": "USD", "closeDate": "2026-02-30",
                  "product": "Platform", "dealType": "new", "splits": [{ "repId": "R-1", "share": "1" }] } }\n`;
      const response = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "content-type": "application/json", "x-correlation-id": "corr-bad-1" },
        payload: body,
      });
      expect(response.statusCode).toBe(400);
      const error = response.json().error;
      expect(error.code).toBe("invalid_events");
      expect(error.invalid).toEqual([
        {
          index: 0,
          eventId: "deal-closed-bad-1",
          issues: [
            { path: "data.amount", rule: 'must be a decimal string such as "1250.00"' },
            {
              path: "data.closeDate",
              rule: "must be a date YYYY-MM-DD or an ISO 8601 date-time with an offset",
            },
          ],
        },
      ]);
      expect(error.message).toContain("data.amount");
      expect(await streamEvents()).toBe(before);

      const letters = await deadLetters.list({ limit: 100, source: "ingest" });
      const letter = letters.find((l) => l.record.eventId === "deal-closed-bad-1");
      expect(letter?.record).toMatchObject({
        source: "ingest",
        original: body,
        originalEncoding: "utf8",
        correlationId: "corr-bad-1",
        receivedAt: "2026-03-20T10:00:00.000Z",
        issues: error.invalid[0].issues,
      });
      expect(letter?.record.reason).toContain("data.amount: must be a decimal string");
    });

    it("rejects a mixed batch atomically: nothing published, every invalid item dead-lettered verbatim", async () => {
      const before = await streamEvents();
      const good = JSON.stringify(sampleRep("R-mixed"));
      const badAmount = `{"eventId":"deal-closed-mixed","type":"DealClosed","schemaVersion":2,"data":{"dealId":"D-m","amount":1.50,"currency":"USD","closeDate":"2026-03-01","product":"P","dealType":"new","splits":[{"repId":"R-1","share":"1"}]}}`;
      const unknownType = `{"eventId":"x-1","type":"DealWon","schemaVersion":1,"data":{}}`;
      const body = `{"events": [ ${good},\n ${badAmount} ,${unknownType}]}`;
      const response = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "content-type": "application/json" },
        payload: body,
      });
      expect(response.statusCode).toBe(400);
      const error = response.json().error;
      expect(error.message).toBe("2 of 3 events are invalid; nothing was published");
      expect(error.invalid.map((i: { index: number }) => i.index)).toEqual([1, 2]);
      expect(error.invalid[1].issues).toEqual([{ path: "type", rule: 'unknown event type "DealWon"' }]);
      expect(await streamEvents()).toBe(before);
      const originals = (await deadLetters.list({ limit: 100, source: "ingest" })).map(
        (l) => l.record.original,
      );
      expect(originals).toContain(badAmount);
      expect(originals).toContain(unknownType);
      expect(originals).not.toContain(good);
    });

    it("validates a plan in depth with the engine's rules before anything is published", async () => {
      const plan = (definition: unknown) => ({
        eventId: `plan-published-P-1-${canonicalDigest(definition).slice(0, 8)}`,
        type: "PlanVersionPublished",
        schemaVersion: 1,
        data: { planId: "P-1", version: 1, name: "Section 8", definition },
      });
      const [component] = SECTION_8_PLAN.components;
      const typo = {
        ...SECTION_8_PLAN,
        components: [{ ...component, bands: [{ from: "0", to: null, rtae: "0.10" }] }],
      };
      const refused = await app.inject({ method: "POST", url: "/events", payload: plan(typo) });
      expect(refused.statusCode).toBe(400);
      const paths = refused.json().error.invalid[0].issues.map((i: { path: string }) => i.path);
      expect(paths).toContain("data.definition.components[0].bands[0].rtae");

      const accepted = await app.inject({ method: "POST", url: "/events", payload: plan(SECTION_8_PLAN) });
      expect(accepted.statusCode).toBe(202);
    });

    it("rejects an eventId repeated with different content in one batch", async () => {
      const first = sampleDeal("D-twice", "100.00");
      const second = sampleDeal("D-twice", "200.00");
      const response = await app.inject({ method: "POST", url: "/events", payload: [first, second] });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.invalid).toEqual([
        {
          index: 1,
          eventId: first.eventId,
          issues: [{ path: "eventId", rule: "repeats the eventId of item 0 with different content" }],
        },
      ]);
    });

    it("dead-letters a body that is not JSON and answers invalid_json", async () => {
      const body = '{"eventId": "half-a-body", "type": ';
      const response = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "content-type": "application/json" },
        payload: body,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe("invalid_json");
      const letters = await deadLetters.list({ limit: 100, source: "ingest" });
      const letter = letters.find((l) => l.record.original === body);
      expect(letter?.record.reason).toMatch(/^body is not JSON/);
    });

    it("refuses a batch over the event limit and a body over the byte limit, stating the limit", async () => {
      const batch = [sampleRep("L1"), sampleRep("L2"), sampleRep("L3"), sampleRep("L4")];
      const tooMany = await app.inject({ method: "POST", url: "/events", payload: batch });
      expect(tooMany.statusCode).toBe(413);
      expect(tooMany.json().error).toMatchObject({
        code: "batch_too_large",
        message: "batch has 4 events; the limit is 3",
      });

      const huge = JSON.stringify({ ...sampleRep("L5"), metadata: { note: "x".repeat(70 * 1024) } });
      const tooBig = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "content-type": "application/json" },
        payload: huge,
      });
      expect(tooBig.statusCode).toBe(413);
      expect(tooBig.json().error).toMatchObject({
        code: "body_too_large",
        message: `body is ${Buffer.byteLength(huge)} bytes; the limit is ${64 * 1024} bytes`,
      });
    });

    it("refuses an event over the per-event limit with 413 event_too_large, and publishes none of the batch", async () => {
      const before = await streamEvents();
      const big = { ...sampleRep("L6"), metadata: { note: "y".repeat(20 * 1024) } };
      const response = await app.inject({ method: "POST", url: "/events", payload: [sampleRep("L7"), big] });
      expect(response.statusCode).toBe(413);
      expect(response.json().error).toMatchObject({
        code: "event_too_large",
        message: `event 1 is ${Buffer.byteLength(JSON.stringify(big))} bytes; the limit is ${16 * 1024} bytes`,
      });
      expect(await streamEvents()).toBe(before);

      const garbage = `{"eventId": "${"z".repeat(20 * 1024)}`;
      const notKept = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "content-type": "application/json" },
        payload: garbage,
      });
      expect(notKept.statusCode).toBe(400);
      expect(notKept.json().error.message).toMatch(/the body was not kept: it is over 16384 bytes\)$/);
    });

    it("refuses an empty batch and a non-JSON content type", async () => {
      const empty = await app.inject({ method: "POST", url: "/events", payload: [] });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().error.code).toBe("empty_batch");
      const csv = await app.inject({
        method: "POST",
        url: "/events",
        headers: { "content-type": "text/csv" },
        payload: "a,b",
      });
      expect(csv.statusCode).toBe(415);
      expect(csv.json().error.code).toBe("unsupported_media_type");
    });

    it("answers 503 publish_failed when the stream is gone, and nothing is acknowledged", async () => {
      const missing = testTopology("ingest_missing");
      const broken = buildIngestApp({
        publisher: createEventPublisher(nc.jetstream(), missing, { maxAttempts: 1, ackTimeoutMs: 500 }),
        deadLetters,
        limits,
        logger: silent,
        readiness: natsReadiness(nc, missing),
      });
      const response = await broken.inject({
        method: "POST",
        url: "/events",
        payload: sampleRep("R-nowhere"),
      });
      expect(response.statusCode).toBe(503);
      expect(response.json().error.code).toBe("publish_failed");
      const ready = await broken.inject({ method: "GET", url: "/ready" });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().ready).toBe(false);
      await broken.close();
    });
  });

  describe("health and readiness", () => {
    it("GET /health is 200 and GET /ready is 200 with NATS connected and both streams present", async () => {
      const health = await app.inject({ method: "GET", url: "/health" });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: "ok" });
      const ready = await app.inject({ method: "GET", url: "/ready" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().ready).toBe(true);
      expect(ready.json().checks.map((c: { name: string }) => c.name)).toEqual(["nats", "streams"]);
    });
  });

  describe("over a real socket", () => {
    it("serves POST /events, logs the correlation id, and drains an in-flight request on shutdown", async () => {
      const lines: string[] = [];
      const logger = createLogger({
        level: "info",
        name: "ingest",
        destination: { write: (line: string) => lines.push(line) },
      });
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered: () => void = () => undefined;
      const publishing = new Promise<void>((resolve) => {
        entered = resolve;
      });
      // A real publisher held at a gate, so the shutdown starts while the request is in flight.
      const slow: EventPublisher = {
        publish: async (events) => {
          entered();
          await gate;
          return publisher.publish(events);
        },
      };
      const server = buildIngestApp({ publisher: slow, deadLetters, limits, logger });
      await server.listen({ port: 0, host: "127.0.0.1" });
      const address = server.server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const exitCodes: number[] = [];
      const graceful = installGracefulShutdown({
        close: () => server.close(),
        timeoutMs: 10_000,
        logger,
        signals: [],
        exit: (code) => exitCodes.push(code),
      });

      const event = sampleRep("R-socket");
      const inFlight = fetch(`http://127.0.0.1:${port}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-correlation-id": "corr-socket" },
        body: JSON.stringify(event),
      });
      await publishing;
      const stopping = graceful.shutdown("test");
      release();
      const response = await inFlight;
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ accepted: 1, eventIds: [event.eventId] });
      await stopping;
      expect(exitCodes).toEqual([0]);
      expect((await lastEvent()).eventId).toBe(event.eventId);
      const published = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === "events published");
      expect(published).toMatchObject({
        correlationId: "corr-socket",
        events: 1,
        level: "info",
        name: "ingest",
      });
    });
  });
});
