import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { isMainThread } from "node:worker_threads";

/**
 * The heap's growth bound, lifted while the audit replay reads the log.
 *
 * The `icm` processes start with `--heap-growing-percent=50` (services/icm/src/runtime/heap.ts): V8 collects
 * the old generation once it has grown half past what the last full collection left live. That bound is for
 * the statements, which make garbage: without it a default-size preview's heap grew to 3.5 times its live
 * size. A replay's apply makes almost none: what it allocates is the facts, kept to the end. Under the
 * bound V8 marks the whole growing heap again every time it grows by half (16 full collections over a
 * default-size apply instead of 5): an engine that keeps no log, as verify's, applied 1.36M events in
 * 38.7 s (43.6 CPU-s) with the bound and 31.9 s (31.4 CPU-s) without, at the same peak RSS.
 *
 * So verifyStoredClose's read lifts the bound once it passes its first page, until it ends, then puts back
 * the value the process was started with. V8 reads the flag each time it sizes the heap after a full
 * collection, so setting it at run time takes effect from the next one; and the limit V8 set at the read's
 * last full collection (up to four times the live size) would hold until the next, which the statements
 * after the read never reached: a preview after an open so switched peaked at 3.1 GiB instead of 2.6. So
 * the end of the read also collects once, which sizes the heap under the bound again. A process started
 * without the flag (V8's own growth, a library user's process) is never switched.
 *
 * Measured at the default size (docs/benchmarks.md, round 17): `icm verify` 80–87 s → 61–68 s together with
 * the replay's leaner held-back events, 74–79 s with those alone. Not for opening a workspace: its apply
 * keeps the log and records every touch, and there the switch measured no faster (open 53.1 / 64.2 s
 * before, 57.4 / 63.6 s with it; that apply alone 60.6 s bounded, 63.5 s lifted), with a peak RSS 0.2 GiB
 * higher.
 */
export class HeapGrowthSwitch {
  private readers = 0;
  private started = 0;

  constructor(
    /** The growth bound the process was started with, in percent; undefined: never switch. */
    readonly bound: number | undefined,
    private readonly setFlags: (flags: string) => void,
    /** A full collection, run when the last bulk read ends. */
    private readonly collect: () => void,
  ) {}

  /** Bulk reads started through this switch, whether or not it switches (for tests). */
  get bulkReads(): number {
    return this.started;
  }

  /**
   * Starts a bulk read: the bound is lifted while any bulk read is running (reads may overlap: two
   * verifies in one process). Returns the function that ends this read; calling it again does nothing.
   */
  enterBulk(): () => void {
    this.started += 1;
    const bound = this.bound;
    if (bound === undefined) return () => undefined;
    this.readers += 1;
    // V8's own growth (the flag's default, 0) while reading in bulk.
    if (this.readers === 1) this.setFlags("--heap-growing-percent=0");
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.readers -= 1;
      if (this.readers > 0) return;
      this.setFlags(`--heap-growing-percent=${bound}`);
      this.collect();
    };
  }
}

/**
 * The `--heap-growing-percent` the process was started with (the last one given wins, as in V8; either
 * spelling, `=value` or the value as the next argument); undefined when none was given, or it is 0 (V8's
 * own growth, nothing to lift).
 */
export function growthBoundOf(execArgv: readonly string[]): number | undefined {
  let bound: number | undefined;
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = (execArgv[i] as string).replaceAll("_", "-");
    let value: string | undefined;
    if (arg.startsWith("--heap-growing-percent=")) value = arg.slice("--heap-growing-percent=".length);
    else if (arg === "--heap-growing-percent") value = execArgv[i + 1];
    if (value !== undefined && /^[0-9]+$/.test(value)) bound = Number(value);
  }
  return bound === 0 ? undefined : bound;
}

/**
 * A full collection without `--expose-gc` on the command line: the flag set at run time gives new contexts
 * a `gc` function (the main context is left as it is). Made once, when first needed.
 */
let gcFunction: (() => void) | undefined;
function fullCollection(): void {
  if (gcFunction === undefined) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
}

/**
 * The process's switch, which the reads that ask for it share (verifyStoredClose's; see above for why not
 * a workspace's open). V8's flags are the process's, but each worker thread would load its own copy of this
 * module (its own count of readers) and collect only its own heap: only the main thread switches.
 */
export const processHeapGrowth = new HeapGrowthSwitch(
  isMainThread ? growthBoundOf(process.execArgv) : undefined,
  setFlagsFromString,
  fullCollection,
);
