import { execFileSync } from "node:child_process";
import os from "node:os";
import { performance } from "node:perf_hooks";

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
