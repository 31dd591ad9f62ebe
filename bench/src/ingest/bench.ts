import { performance } from "node:perf_hooks";
import type { RecordedEvent } from "@icm/event-store";
import type { DomainEvent } from "@icm/events";
import {
  buildIngestApp,
  connectPipeline,
  createLogger,
  DEFAULT_INGEST_LIMITS,
  deleteStreams,
  startRecorder,
  testTopology,
} from "@icm/pipeline";
import { scenarioEvents } from "@icm/scenario";
import { dropDataset, openStore } from "../generate/dataset.js";
import { peakRssMiB, percentile, perSecond } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";

/** Events per POST and concurrent HTTP senders: a CRM sync pushing batches from a few workers. */
const EVENTS_PER_REQUEST = 100;
const SENDERS = 8;
/** Gives up waiting for the recorder when nothing new reached PostgreSQL for this long. */
const STALL_LIMIT_MS = 30_000;

/**
 * The write path end to end: POST /events (validation, publish, JetStream ack) → the recorder's durable
 * pull consumer → append to PostgreSQL, all in this process against the real NATS and PostgreSQL. An
 * event's end-to-end latency runs from the start of the HTTP request that carried it to the moment a
 * subscription on the store (LISTEN/NOTIFY wake-up) sees it committed. Senders are closed-loop: each
 * sends its next batch when the previous one was accepted, so a recorder slower than the HTTP edge shows
 * up as a growing backlog, and as latency.
 */
export async function ingest(o: BenchOptions): Promise<Record<string, unknown>> {
  const events = firstEvents(o, o.ingestEvents);
  const schema = `bench_ingest_s${o.seed >>> 0}`;
  const ref = { kind: "postgres" as const, schema };
  await dropDataset(ref, o);
  const store = await openStore(ref, o, 4);
  const topology = testTopology("bench_ingest");
  const logger = createLogger({ level: "silent", name: "bench-ingest" });
  const pipeline = await connectPipeline({ natsUrl: o.natsUrl, topology, name: "bench-ingest" });
  const app = buildIngestApp({
    publisher: pipeline.publisher,
    deadLetters: pipeline.deadLetters,
    limits: DEFAULT_INGEST_LIMITS,
    logger,
  });
  const recorder = await startRecorder({
    nc: pipeline.nc,
    topology,
    store,
    deadLetters: pipeline.deadLetters,
    logger,
    durableName: "bench-recorder",
  });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const httpLatencies: number[] = [];
  let lastSeenAt = performance.now();
  let allSeen: () => void = () => undefined;
  const seenAll = new Promise<void>((resolve) => {
    allSeen = resolve;
  });
  const subscription = store.subscribeToAll(
    {
      onEvent: (stored: RecordedEvent) => {
        const t = sentAt.get(stored.eventId);
        lastSeenAt = performance.now();
        if (t !== undefined) latencies.push(lastSeenAt - t);
        if (latencies.length === events.length) allSeen();
      },
    },
    { pollIntervalMs: 50 },
  );
  try {
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const start = performance.now();
    let next = 0;
    let rejected = 0;
    const sender = async () => {
      for (;;) {
        const from = next;
        if (from >= events.length) return;
        next += EVENTS_PER_REQUEST;
        const batch = events.slice(from, from + EVENTS_PER_REQUEST);
        const t0 = performance.now();
        for (const e of batch) sentAt.set(e.eventId, t0);
        const response = await fetch(`${address}/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(batch),
        });
        await response.arrayBuffer();
        httpLatencies.push(performance.now() - t0);
        if (response.status !== 202) rejected += batch.length;
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));
    const acceptedAt = performance.now();
    // Waits for the recorder to drain the stream, unless it stalls.
    for (;;) {
      const done = await Promise.race([seenAll.then(() => true), sleep(1_000).then(() => false)]);
      if (done || performance.now() - lastSeenAt > STALL_LIMIT_MS) break;
    }
    const end = lastSeenAt;
    latencies.sort((a, b) => a - b);
    httpLatencies.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      events: events.length,
      eventsPerRequest: EVENTS_PER_REQUEST,
      senders: SENDERS,
      rejected,
      recorded: latencies.length,
      httpAcceptedPerSecond: perSecond(events.length, acceptedAt - start),
      httpRequestMs: { p50: round(percentile(httpLatencies, 50)), p99: round(percentile(httpLatencies, 99)) },
      sustainedEventsPerSecond: perSecond(latencies.length, end - start),
      endToEndMs: {
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1) ?? 0),
      },
      targetEventsPerSecond: 25_000,
      targetP99Ms: 50,
      recorderStats: { ...recorder.stats },
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await subscription.close();
    await recorder.stop();
    await app.close();
    await deleteStreams(pipeline.jsm, topology);
    await pipeline.close();
    await store.close();
    if (!o.keep) await dropDataset(ref, o);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The scenario's first `count` events: set-up, then business time, as a CRM and HR feed would send them. */
function firstEvents(o: BenchOptions, count: number): DomainEvent[] {
  const out: DomainEvent[] = [];
  const stream = scenarioEvents({
    seed: o.seed,
    reps: o.reps,
    deals: o.deals,
    quarters: o.quarters,
    startQuarter: o.startQuarter,
  });
  for (let step = stream.next(); step.done !== true && out.length < count; step = stream.next())
    out.push(step.value);
  return out;
}
