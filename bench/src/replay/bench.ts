import { Worker } from "node:worker_threads";
import { type DatasetRef, datasetRef, openStore, type StoreKind } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { peakRssMiB, perSecond, progress, timed } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";
import { readPages } from "./read.js";
import { combinedDigest, Rebuild, type RebuildFigures } from "./rebuild.js";
import type { WorkerInput, WorkerMessage } from "./worker.js";

/** Pages posted to a worker and not yet applied, at most (bounds memory when reads outrun the engine). */
const MAX_PAGES_IN_FLIGHT = 4;

export interface ReplayResult {
  readonly store: StoreKind;
  readonly workers: number;
  readonly events: number;
  readonly reps: number;
  readonly statements: number;
  readonly wallMs: number;
  readonly eventsPerSecond: number;
  /** Slowest worker's apply phase and statement phase. */
  readonly applyMs: number;
  readonly statementsMs: number;
  /** Each worker's apply and statement phases and statement count, in partition order (imbalance vs contention). */
  readonly byWorker: readonly {
    readonly applyMs: number;
    readonly statementsMs: number;
    readonly statements: number;
  }[];
  /** Largest heap of one partition after applying every event, and after building its statements. */
  readonly heapAfterApplyMiB: number;
  readonly heapAfterStatementsMiB: number;
  readonly peakRssMiB: number;
  /** CPU time of the process, every thread: comparable across runs when other processes share the cores. */
  readonly cpuMs: number;
  readonly eventsPerCpuSecond: number;
  readonly statementsDigest: string;
}

/** Replays the dataset from an empty read model with `workers` partitions (1 = everything on this thread). */
export async function replay(o: BenchOptions, kind: StoreKind): Promise<ReplayResult> {
  const ref = datasetRef(o, kind);
  await ensureDataset(ref, o);
  const workers = o.workers;
  progress(`replay: ${kind}, ${workers} worker(s)`);
  const cpuBefore = process.cpuUsage();
  const { value: parts, ms } = await timed(() =>
    workers === 1 ? inThread(ref, o) : partitioned(ref, o, workers),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const first = parts[0] as RebuildFigures;
  return {
    store: kind,
    workers,
    events: first.events,
    reps: first.reps,
    statements: parts.reduce((n, p) => n + p.statements, 0),
    wallMs: ms,
    eventsPerSecond: perSecond(first.events, ms),
    applyMs: Math.max(...parts.map((p) => p.applyMs)),
    statementsMs: Math.max(...parts.map((p) => p.statementsMs)),
    byWorker: parts.map((p) => ({
      applyMs: p.applyMs,
      statementsMs: p.statementsMs,
      statements: p.statements,
    })),
    heapAfterApplyMiB: Math.max(...parts.map((p) => p.heapAfterApplyMiB)),
    heapAfterStatementsMiB: Math.max(...parts.map((p) => p.heapAfterStatementsMiB)),
    peakRssMiB: peakRssMiB(),
    cpuMs,
    eventsPerCpuSecond: perSecond(first.events, cpuMs),
    statementsDigest: combinedDigest(parts.flatMap((p) => p.digestLines)),
  };
}

async function inThread(ref: DatasetRef, o: BenchOptions): Promise<RebuildFigures[]> {
  const store = await openStore(ref, o, 2);
  try {
    const rebuild = new Rebuild({ index: 0, count: 1 });
    await readPages(store, rebuild);
    return [rebuild.finish()];
  } finally {
    await store.close();
  }
}

async function partitioned(ref: DatasetRef, o: BenchOptions, count: number): Promise<RebuildFigures[]> {
  const url = new URL("./worker.js", import.meta.url);
  const source: WorkerInput["source"] = ref.kind === "postgres" ? { kind: "store", ref } : { kind: "pages" };
  const workers = Array.from({ length: count }, (_, index) => {
    const input: WorkerInput = { partition: { index, count }, options: o, source };
    return new Worker(url, { workerData: input });
  });
  const inFlight = workers.map(() => 0);
  let wake: (() => void) | undefined;
  const results = workers.map(
    (worker, i) =>
      new Promise<RebuildFigures>((resolve, reject) => {
        worker.on("message", (m: RebuildFigures | "ack") => {
          if (m === "ack") {
            inFlight[i] = (inFlight[i] ?? 1) - 1;
            wake?.();
          } else resolve(m);
        });
        worker.on("error", reject);
        worker.on("exit", (code) => {
          if (code !== 0) reject(new Error(`replay worker ${i} exited with ${code}`));
        });
      }),
  );
  if (source.kind === "pages") {
    // PGlite allows one process on its directory: this thread reads and hands every page to every worker.
    const store = await openStore(ref, o);
    try {
      await readPages(store, undefined, async (page) => {
        while (inFlight.some((n) => n >= MAX_PAGES_IN_FLIGHT))
          await new Promise<void>((r) => {
            wake = r;
          });
        for (const [i, w] of workers.entries()) {
          w.postMessage({ page } satisfies WorkerMessage);
          inFlight[i] = (inFlight[i] ?? 0) + 1;
        }
      });
    } finally {
      await store.close();
    }
    for (const w of workers) w.postMessage({ end: true } satisfies WorkerMessage);
  }
  try {
    return await Promise.all(results);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
