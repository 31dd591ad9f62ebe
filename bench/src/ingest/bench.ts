import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
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
import { cpuPerEventUs, oursByThread, serverCpuMs, threadCpuMs } from "../harness/server-cpu.js";
import { type OnCommit, withCommitClock } from "./commit-clock.js";
import type { RecorderThreadInput, RecorderThreadMessage } from "./recorder-thread.js";

/** Events per POST: a CRM sync pushing batches. */
const EVENTS_PER_REQUEST = 100;
/** Closed loop: concurrent senders, each sending its next batch when the previous one was answered. */
const CLOSED_LOOP_SENDERS = 8;
/**
 * Open loop: offered loads in events/s. A request is due every EVENTS_PER_REQUEST / rate seconds whether
 * or not earlier ones were answered, and latency counts from when it was due (no coordinated omission:
 * a stalled server cannot hide its backlog by slowing the sender down).
 */
const OPEN_LOOP_RATES = [2_500, 5_000, 10_000, 25_000] as const;
/** Open loop: requests in flight at once (a bound on the load generator, not on the server). */
const OPEN_LOOP_MAX_IN_FLIGHT = 256;
/** Gives up waiting for the recorder when nothing new was committed for this long. */
const STALL_LIMIT_MS = 30_000;

type Load =
  | { readonly kind: "closed"; readonly senders: number }
  | { readonly kind: "open"; readonly rate: number }
  /** The recorder alone: the stream is filled first (not timed), then the recorder drains it. */
  | { readonly kind: "drain" };

/** Where the recorder runs: on the benchmark's event loop, or on a thread of its own (as deployed). */
type RecorderPlacement = "same-thread" | "own-thread";

/** Events per publish call when the drain phase fills the stream. */
const DRAIN_PUBLISH_CHUNK_EVENTS = 1_000;

/**
 * The write path end to end: POST /events (validation, publish, JetStream ack) → the recorder's durable
 * pull consumer → appendMany into PostgreSQL, all in this process against the real NATS and PostgreSQL.
 *
 * An event's end-to-end latency runs from the moment its HTTP request was sent (open loop: when it was
 * due) to the moment the store call that wrote it returned, i.e. its transaction had committed (the
 * recorder's store is wrapped to note that time per event id). Two kinds of load, each on a fresh stream
 * and schema: a closed loop as fast as it goes (maximum throughput; latency there is mostly backlog), and
 * open loops at stated rates (latency under that offered load). CPU time is this process's (HTTP edge,
 * recorder, and the load generator's HTTP client), not PostgreSQL's or NATS's.
 *
 * A last phase measures the recorder alone (`recorderAlone`): the stream is filled before the clock starts,
 * then the recorder drains it. The edge and the load generator share this process's one thread in the other
 * phases, so their into-PostgreSQL rate is the capacity of the whole pipeline on one thread, not the
 * recorder's; this phase's rate and events per CPU-second are the recorder's own.
 *
 * Then the closed and open loops again with the recorder on a worker thread of its own
 * (`recorderOnItsOwnThread`): its own event loop, NATS connection and store pool, as it is deployed (a
 * process apart from the edge). It reports each commit to this thread; both clocks are read as epoch
 * milliseconds (timeOrigin + now), so latency still runs from send to commit.
 */
export async function ingest(o: BenchOptions): Promise<Record<string, unknown>> {
  const events = firstEvents(o, o.ingestEvents);
  // Bodies are encoded before the clock starts: the load generator shares this process's CPU.
  const bodies: { body: string; ids: string[] }[] = [];
  for (let from = 0; from < events.length; from += EVENTS_PER_REQUEST) {
    const batch = events.slice(from, from + EVENTS_PER_REQUEST);
    bodies.push({ body: JSON.stringify(batch), ids: batch.map((e) => e.eventId) });
  }
  const closedLoop = await runPhase(o, bodies, events.length, {
    kind: "closed",
    senders: CLOSED_LOOP_SENDERS,
  });
  const openLoop: Record<string, unknown>[] = [];
  for (const rate of OPEN_LOOP_RATES)
    openLoop.push(await runPhase(o, bodies, events.length, { kind: "open", rate }));
  const recorderAlone = await runPhase(o, bodies, events.length, { kind: "drain" }, "same-thread", events);
  // The recorder as deployed: a process apart from the HTTP edge (here a thread: its own event loop).
  const ownThread = {
    closedLoop: await runPhase(
      o,
      bodies,
      events.length,
      { kind: "closed", senders: CLOSED_LOOP_SENDERS },
      "own-thread",
    ),
    openLoop: [] as Record<string, unknown>[],
  };
  for (const rate of OPEN_LOOP_RATES)
    ownThread.openLoop.push(await runPhase(o, bodies, events.length, { kind: "open", rate }, "own-thread"));
  return {
    events: events.length,
    eventsPerRequest: EVENTS_PER_REQUEST,
    latencyFrom: "HTTP request sent (open loop: due) → its appendMany returned (committed)",
    closedLoop,
    openLoop,
    recorderAlone,
    recorderOnItsOwnThread: ownThread,
    targetEventsPerSecond: 25_000,
    targetP99Ms: 50,
    peakRssMiB: peakRssMiB(),
  };
}

async function runPhase(
  o: BenchOptions,
  bodies: readonly { body: string; ids: string[] }[],
  eventCount: number,
  load: Load,
  placement: RecorderPlacement = "same-thread",
  /** The events themselves, for the drain phase (which publishes them without HTTP). */
  events: readonly DomainEvent[] = [],
): Promise<Record<string, unknown>> {
  const schema = `bench_ingest_s${o.seed >>> 0}`;
  const ref = { kind: "postgres" as const, schema };
  await dropDataset(ref, o);
  const store = await openStore(ref, o, 4);
  const topology = testTopology("bench_ingest");
  const logger = createLogger({ level: "warn", name: "bench-ingest", destination: process.stderr });
  const pipeline = await connectPipeline({ natsUrl: o.natsUrl, topology, name: "bench-ingest" });
  const app = buildIngestApp({
    publisher: pipeline.publisher,
    deadLetters: pipeline.deadLetters,
    limits: DEFAULT_INGEST_LIMITS,
    logger,
  });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const httpLatencies: number[] = [];
  /** Wall time of each appendMany call: the store's share of the recorder's time per batch. */
  const appendManyMs: number[] = [];
  let lastCommitAt = performance.now();
  let appendCalls = 0;
  let allCommitted: () => void = () => undefined;
  const committedAll = new Promise<void>((resolve) => {
    allCommitted = resolve;
  });
  /** One appendMany returned at `now` (this thread's clock): its transaction has committed. */
  const noteCommit: OnCommit = (now, callMs, firstIds) => {
    appendManyMs.push(callMs);
    appendCalls += 1;
    lastCommitAt = now;
    for (const id of firstIds) {
      const t = sentAt.get(id);
      if (t !== undefined) latencies.push(now - t);
    }
    if (latencies.length >= eventCount) allCommitted();
  };
  // The recorder writes through this: the moment appendMany returns, its transaction has committed.
  const timedStore = withCommitClock(store, noteCommit);
  const startRecording = async (): Promise<RecorderHandle> => {
    if (placement === "own-thread")
      return startRecorderThread({ options: o, schema, topology, durableName: "bench-recorder" }, noteCommit);
    const running = await startRecorder({
      nc: pipeline.nc,
      topology,
      store: timedStore,
      deadLetters: pipeline.deadLetters,
      logger,
      durableName: "bench-recorder",
    });
    return {
      stop: async () => {
        await running.stop();
        return { ...running.stats };
      },
    };
  };
  if (load.kind === "drain") {
    // Filled before the clock starts; the recorder is started only once everything is in the stream.
    for (let from = 0; from < events.length; from += DRAIN_PUBLISH_CHUNK_EVENTS)
      await pipeline.publisher.publish(events.slice(from, from + DRAIN_PUBLISH_CHUNK_EVENTS));
  }
  let recorder: RecorderHandle | undefined = load.kind === "drain" ? undefined : await startRecording();
  let recorderStats: Record<string, number> | undefined;
  try {
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    let rejected = 0;
    const send = async (index: number, dueAt: number): Promise<void> => {
      const request = bodies[index] as { body: string; ids: string[] };
      for (const id of request.ids) sentAt.set(id, dueAt);
      const response = await fetch(`${address}/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: request.body,
      });
      await response.arrayBuffer();
      httpLatencies.push(performance.now() - dueAt);
      if (response.status !== 202) rejected += request.ids.length;
    };
    const cpuBefore = process.cpuUsage();
    const mainThreadBefore = threadCpuMs();
    const serversBefore = serverCpuMs();
    const start = performance.now();
    if (load.kind === "drain") {
      // Latency here runs from the start of the drain: a measure of the backlog, not of a request.
      for (const event of events) sentAt.set(event.eventId, start);
      recorder = await startRecording();
    } else if (load.kind === "closed") {
      let next = 0;
      const sender = async () => {
        while (next < bodies.length) {
          const index = next;
          next += 1;
          await send(index, performance.now());
        }
      };
      await Promise.all(Array.from({ length: load.senders }, sender));
    } else {
      const intervalMs = (EVENTS_PER_REQUEST * 1000) / load.rate;
      const inFlight = new Set<Promise<void>>();
      for (let index = 0; index < bodies.length; index += 1) {
        const dueAt = start + index * intervalMs;
        const waitMs = dueAt - performance.now();
        if (waitMs > 0) await sleep(waitMs);
        while (inFlight.size >= OPEN_LOOP_MAX_IN_FLIGHT) await Promise.race(inFlight);
        const request = send(index, dueAt).finally(() => inFlight.delete(request));
        inFlight.add(request);
      }
      await Promise.all(inFlight);
    }
    const acceptedAt = performance.now();
    // Waits for the recorder to drain the stream, unless it stalls.
    for (;;) {
      const done = await Promise.race([committedAll.then(() => true), sleep(1_000).then(() => false)]);
      if (done || performance.now() - lastCommitAt > STALL_LIMIT_MS) break;
    }
    // This process's CPU: every thread (the recorder's own thread included), not PostgreSQL's or NATS's.
    const cpu = process.cpuUsage(cpuBefore);
    const mainThreadAfter = threadCpuMs();
    const serversAfter = serverCpuMs();
    // The drain starts its recorder after the phase's first readings: its own thread's CPU is all the phase's.
    const recorderThreadMs = recorder?.threadCpuMs?.() ?? null;
    recorderStats = await recorder?.stop();
    recorder = undefined;
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    const end = lastCommitAt;
    latencies.sort((a, b) => a - b);
    httpLatencies.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    appendManyMs.sort((a, b) => a - b);
    return {
      load:
        load.kind === "closed"
          ? `closed loop, ${load.senders} senders, as fast as accepted`
          : load.kind === "open"
            ? `open loop, ${load.rate} events/s offered`
            : "recorder alone, draining a filled stream (no HTTP, no load generator)",
      recorder: placement,
      ...(load.kind === "open" ? { offeredEventsPerSecond: load.rate } : {}),
      rejected,
      recorded: latencies.length,
      ...(load.kind === "drain"
        ? {}
        : {
            httpAcceptedPerSecond: perSecond(eventCount, acceptedAt - start),
            httpRequestMs: {
              p50: round(percentile(httpLatencies, 50)),
              p99: round(percentile(httpLatencies, 99)),
            },
          }),
      sustainedEventsPerSecond: perSecond(latencies.length, end - start),
      endToEndMs: {
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1) ?? 0),
      },
      cpuMs,
      eventsPerCpuSecond: perSecond(latencies.length, cpuMs),
      // NATS and PostgreSQL run on the same two cores: the whole bill per event, not only this process's.
      cpuPerEventUs: cpuPerEventUs(latencies.length, cpuMs, serversBefore, serversAfter),
      // "ours" split by thread: the main thread (the edge and the load generator, and the recorder when it
      // shares the thread), the recorder's own thread, and the rest (V8's GC helpers, libuv's pool).
      oursByThreadUs: oursByThread(
        latencies.length,
        cpuMs,
        mainThreadBefore === null || mainThreadAfter === null ? null : mainThreadAfter - mainThreadBefore,
        recorderThreadMs,
      ),
      appendManyCalls: appendCalls,
      appendManyMs: {
        p50: round(percentile(appendManyMs, 50)),
        p99: round(percentile(appendManyMs, 99)),
        total: Math.round(appendManyMs.reduce((sum, ms) => sum + ms, 0)),
      },
      recorderStats,
    };
  } finally {
    await recorder?.stop();
    await app.close();
    await deleteStreams(pipeline.jsm, topology);
    await pipeline.close();
    await store.close();
    if (!o.keep) await dropDataset(ref, o);
  }
}

interface RecorderHandle {
  /** Stops the recorder (in-flight batches finish and are acked) and returns its counters. */
  stop(): Promise<Record<string, number>>;
  /** The recorder's own thread's CPU from its start to its last commit, ms (only when it has a thread). */
  threadCpuMs?(): number | null;
}

/** Starts the recorder on a worker thread; `onCommit` gets each appendMany's commit on this thread's clock. */
async function startRecorderThread(input: RecorderThreadInput, onCommit: OnCommit): Promise<RecorderHandle> {
  const worker = new Worker(new URL("./recorder-thread.js", import.meta.url), { workerData: input });
  let stopped: (stats: Record<string, number>) => void = () => undefined;
  const stats = new Promise<Record<string, number>>((resolve) => {
    stopped = resolve;
  });
  const failed = new Promise<never>((_, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the recorder thread exited with ${code}`)));
  });
  failed.catch(() => undefined);
  let cpuAtStart: number | null = null;
  let cpuAtLastCommit: number | null = null;
  const started = new Promise<void>((resolve) => {
    worker.on("message", (message: RecorderThreadMessage) => {
      if (message.kind === "started") {
        cpuAtStart = message.threadCpuMs;
        resolve();
      } else if (message.kind === "stopped") stopped(message.stats);
      else {
        cpuAtLastCommit = message.threadCpuMs;
        // Both threads' clocks count from their own origin: epoch milliseconds compare across them.
        onCommit(message.atEpochMs - performance.timeOrigin, message.callMs, message.firstIds);
      }
    });
  });
  await Promise.race([started, failed]);
  return {
    threadCpuMs: () =>
      cpuAtStart === null || cpuAtLastCommit === null ? null : cpuAtLastCommit - cpuAtStart,
    stop: async () => {
      worker.postMessage("stop");
      const result = await Promise.race([stats, failed]);
      await worker.terminate();
      return result;
    },
  };
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
