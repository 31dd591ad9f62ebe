import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { connectPipeline, createLogger, type NatsTopology, startRecorder } from "@icm/pipeline";
import { openStore } from "../generate/dataset.js";
import type { BenchOptions } from "../harness/options.js";
import { threadCpuMs } from "../harness/server-cpu.js";
import { withCommitClock } from "./commit-clock.js";

/** What the ingest benchmark hands the recorder thread. */
export interface RecorderThreadInput {
  readonly options: BenchOptions;
  readonly schema: string;
  readonly topology: NatsTopology;
  readonly durableName: string;
}

/**
 * Thread → benchmark: one appendMany returned (committed), or the recorder stopped. `threadCpuMs` is this
 * thread's CPU so far (null off Linux): the benchmark takes the difference between "started" and the last
 * commit as the recorder's share of the process's CPU.
 */
export type RecorderThreadMessage =
  | { readonly kind: "started"; readonly threadCpuMs: number | null }
  /** `atEpochMs` = performance.timeOrigin + performance.now(): comparable across threads. */
  | {
      readonly kind: "committed";
      readonly atEpochMs: number;
      readonly callMs: number;
      readonly firstIds: string[];
      readonly threadCpuMs: number | null;
    }
  | { readonly kind: "stopped"; readonly stats: Record<string, number> };

/**
 * The recorder on a thread of its own, with its own NATS connection, store pool and event loop: how it is
 * deployed (a process apart from the HTTP edge), without the edge and the load generator taking turns with
 * it on one event loop. It tells the benchmark when each appendMany committed, and which items it wrote.
 */
async function run(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("recorder-thread runs as a worker thread");
  const input = workerData as RecorderThreadInput;
  const store = await openStore({ kind: "postgres", schema: input.schema }, input.options, 4);
  const pipeline = await connectPipeline({
    natsUrl: input.options.natsUrl,
    topology: input.topology,
    name: "bench-ingest-recorder",
  });
  // Each commit goes to the benchmark's thread in epoch milliseconds: the two clocks start apart.
  const timedStore = withCommitClock(store, (now, callMs, firstIds) => {
    const message: RecorderThreadMessage = {
      kind: "committed",
      atEpochMs: performance.timeOrigin + now,
      callMs,
      firstIds: [...firstIds],
      threadCpuMs: threadCpuMs(),
    };
    port.postMessage(message);
  });
  const recorder = await startRecorder({
    nc: pipeline.nc,
    topology: input.topology,
    store: timedStore,
    deadLetters: pipeline.deadLetters,
    logger: createLogger({ level: "warn", name: "bench-ingest-recorder", destination: process.stderr }),
    durableName: input.durableName,
  });
  port.once("message", () => {
    void (async () => {
      await recorder.stop();
      await pipeline.close();
      await store.close();
      const stopped: RecorderThreadMessage = { kind: "stopped", stats: { ...recorder.stats } };
      port.postMessage(stopped);
    })();
  });
  const started: RecorderThreadMessage = { kind: "started", threadCpuMs: threadCpuMs() };
  port.postMessage(started);
}

void run();
