import { spawn } from "node:child_process";
import { constants, totalmem } from "node:os";

/**
 * The heap the engine gets. Node's default old-space limit is ~4 GiB whatever the machine has, and a
 * workspace at the default benchmark size (10,000 reps, 1.36M events) needs more: `icm close` there ran
 * 8 minutes of ever longer collections and died with "JavaScript heap out of memory". So the heavy
 * processes (the CLI, the API, the projector) start once more with a heap sized to the machine, unless the
 * operator sized it (a --max-old-space-size of their own, in the command or NODE_OPTIONS) or turned this off.
 * See docs/operations.md, "Memory".
 */

/** Share of the machine's (or the container's) memory given to the old generation by default. */
export const DEFAULT_HEAP_SHARE = 0.75;
/**
 * Young-generation semi-space. 64 MiB measured 7-9 % less CPU than V8's 16 MiB on replay; 128 MiB then cut a
 * default-size preview by a fifth (scavenges 450 -> 224, their pauses about halved): a manager's statement
 * keeps its organisation's overlay items alive for its whole computation, and a larger young generation
 * lets more of them die there instead of being copied twice and promoted. 256 MiB was no faster and cost
 * 300 MiB more peak RSS at 1,000 reps (docs/benchmarks.md, round 7).
 */
export const SEMI_SPACE_MIB = 128;
/**
 * How far V8 lets the heap grow past what the last full collection left live, in percent. Left to itself,
 * with a large limit (16 GiB in the benchmark; 75 % of memory here), V8 let a default-size preview's garbage
 * grow the heap to 3.5 times its live size (1.86 GB live, 5.4 GB heap, 6.6-6.9 GiB peak RSS) before
 * collecting it. At 50 % the same preview peaked at 3.3 GiB RSS in the same time: a few more full
 * collections, ~0.1 s of pause each; opening a workspace costs ~10-15 % more CPU (docs/benchmarks.md,
 * round 9). A growth bound rather than a smaller fixed limit: the limit stays where it is, so a larger log
 * still fits, and the bound follows the live size of whatever log the process holds.
 * V8 accepts it on the command line only, not in NODE_OPTIONS.
 */
export const HEAP_GROWING_PERCENT = 50;
/** Below this a heap is not worth a restart (and a typo such as ICM_HEAP_MIB=8 is refused). */
export const MIN_HEAP_MIB = 512;
/** Set in the restarted process, so that it never restarts again. */
export const RELAUNCHED_ENV = "ICM_HEAP_RELAUNCHED";

export class HeapConfigError extends Error {
  override readonly name = "HeapConfigError";
}

export interface HeapInput {
  /** The process's own V8/Node flags (process.execArgv). */
  readonly execArgv: readonly string[];
  /** The environment: NODE_OPTIONS, ICM_HEAP_MIB, ICM_HEAP_RELAUNCHED. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Memory available to the process: the container's limit when there is one, else the machine's. */
  readonly memoryBytes: number;
}

function mentions(flags: string, name: string): boolean {
  // V8 accepts both spellings: --max-old-space-size and --max_old_space_size.
  return flags.replaceAll("_", "-").includes(name);
}

/**
 * The flags to restart with, or undefined to run as started. Pure. ICM_HEAP_MIB: a heap size in MiB
 * (whole number ≥ MIN_HEAP_MIB), or "off" to never restart; unset means DEFAULT_HEAP_SHARE of memory.
 */
export function heapFlags(input: HeapInput): string[] | undefined {
  const setting = input.env.ICM_HEAP_MIB?.trim();
  if (input.env[RELAUNCHED_ENV] === "1" || setting === "off") return undefined;
  const given = `${input.execArgv.join(" ")} ${input.env.NODE_OPTIONS ?? ""}`;
  if (mentions(given, "--max-old-space-size")) return undefined;
  let heapMib: number;
  if (setting === undefined || setting === "") {
    heapMib = Math.floor((input.memoryBytes * DEFAULT_HEAP_SHARE) / 2 ** 20);
    // A small machine keeps Node's default rather than a smaller heap.
    if (heapMib < MIN_HEAP_MIB) return undefined;
  } else {
    if (!/^[0-9]+$/.test(setting) || Number(setting) < MIN_HEAP_MIB)
      throw new HeapConfigError(
        `ICM_HEAP_MIB must be a whole number of MiB of at least ${MIN_HEAP_MIB}, or "off"; got ${JSON.stringify(setting)}`,
      );
    heapMib = Number(setting);
  }
  const flags = [`--max-old-space-size=${heapMib}`];
  if (!mentions(given, "--max-semi-space-size")) flags.push(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
  if (!mentions(given, "--heap-growing-percent"))
    flags.push(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return flags;
}

/** The memory this process may use: the cgroup limit when one is set, else the machine's. */
export function availableMemoryBytes(): number {
  const limit = process.constrainedMemory?.();
  const total = totalmem();
  // constrainedMemory() is 0 or undefined without a limit, and a huge number for "max" on some kernels.
  return limit !== undefined && limit > 0 && limit < total ? limit : total;
}

/** Signals passed on to the restarted process, so that it shuts down as it would have on its own. */
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `main` in this process when the heap is already right; otherwise starts this same script once more
 * with the heap flags (same arguments, environment and stdio) and exits as it exits. `main` is loaded
 * lazily by the caller, so the short-lived first process imports nothing heavy.
 */
export async function withSizedHeap(main: () => Promise<void>): Promise<void> {
  let flags: string[] | undefined;
  try {
    flags = heapFlags({ execArgv: process.execArgv, env: process.env, memoryBytes: availableMemoryBytes() });
  } catch (error) {
    if (!(error instanceof HeapConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (flags === undefined) return main();
  const script = process.argv[1];
  if (script === undefined) return main();
  // A handled signal goes to the second process (handlers run on a later tick, when `child` is set).
  let child: ReturnType<typeof spawn> | undefined;
  const handlers = FORWARDED_SIGNALS.map((signal) => [signal, () => void child?.kill(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const started = spawn(process.execPath, [...flags, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, [RELAUNCHED_ENV]: "1" },
  });
  child = started;
  await new Promise<void>((resolve, reject) => {
    started.once("error", reject);
    started.once("exit", (code, signal) => {
      for (const [s, handler] of handlers) process.off(s, handler);
      // A child killed by a signal exits like a shell reports it: 128 + the signal's number.
      process.exitCode = code ?? 128 + signalNumber(signal);
      resolve();
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}
