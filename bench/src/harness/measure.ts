import { execFileSync } from "node:child_process";
import os from "node:os";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";

/** Peak resident set of this process so far (threads included), in MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Wall time of `work` in milliseconds (monotonic clock; only benchmarks read it). */
export async function timed<T>(work: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: Math.round((performance.now() - start) * 10) / 10 };
}

/** Garbage collections during a phase, by kind, and their summed pause cost (v8.GCProfiler). */
export interface GcFigures {
  readonly scavenges: number;
  readonly markCompacts: number;
  /** Incremental marking steps, weak-callback processing and the like. */
  readonly other: number;
  readonly pauseMs: number;
}

/**
 * Wall time, CPU time (this process, every thread: what compares across loads) and garbage collections of
 * one phase. Not nested: one V8 GC profiler at a time.
 */
export async function phase<T>(
  work: () => Promise<T> | T,
): Promise<{ value: T; ms: number; cpuMs: number; gc: GcFigures }> {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const cpuBefore = process.cpuUsage();
  let stats: ReturnType<v8.GCProfiler["stop"]>;
  let result: { value: T; ms: number };
  try {
    result = await timed(work);
  } finally {
    stats = profiler.stop();
  }
  const cpu = process.cpuUsage(cpuBefore);
  let scavenges = 0;
  let markCompacts = 0;
  let other = 0;
  let pauseUs = 0;
  for (const gc of stats.statistics) {
    if (gc.gcType === "Scavenge") scavenges += 1;
    else if (gc.gcType === "MarkSweepCompact") markCompacts += 1;
    else other += 1;
    pauseUs += gc.cost;
  }
  return {
    ...result,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    gc: { scavenges, markCompacts, other, pauseMs: Math.round(pauseUs / 1000) },
  };
}

export function perSecond(count: number, ms: number): number {
  return ms <= 0 ? 0 : Math.round((count * 1000) / ms);
}

/** Percentile of an ascending-sorted sample (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * Other CPU-heavy processes at the time of measurement (test runners, compilers): the figures of a run
 * that shared the 2 cores with them are not comparable, so every result says so.
 */
export function contention(): { loadAverage1m: number; processes: number; sample: string[] } {
  const busy = busyProcesses();
  return {
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    processes: busy.length,
    sample: busy.filter((l) => !l.includes("esbuild")).slice(0, 4),
  };
}

function busyProcesses(): string[] {
  try {
    const out = execFileSync("pgrep", ["-fa", "vitest|tsc( |$)|esbuild"], { encoding: "utf8" });
    return out
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.includes("pgrep") && !l.includes("bench/run.mjs"))
      .map((l) => l.slice(0, 120));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** One progress line on stderr (stdout carries only the JSON results), so long phases can be followed. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString()}] ${message}\n`);
}
