import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BenchOptions, toArgs } from "./options.js";

/** Heap limit of each benchmark process (the machine has 23 GiB; the target is to stay under 2 GiB). */
const MAX_HEAP_MIB = 16_384;
/** Young-generation semi-space of each benchmark process (V8's default is 16 MiB on 64-bit). */
const SEMI_SPACE_MIB = 128;
/**
 * Heap growth past the live size before a full collection, in percent: the `icm` command's bound
 * (services/icm/src/runtime/heap.ts). Without it V8 let a default-size preview's heap reach 3.5 times its live
 * size; the peak RSS figures would measure that slack, not the engine.
 */
const HEAP_GROWING_PERCENT = 50;
/**
 * Benchmarks whose process holds no engine facts, run as their production processes run: without the
 * growth bound (docker-compose gives it to the API and the projector only). On ingest's small, fast-churning
 * heap it meant more full collections for nothing: ~10 % fewer events/s in the closed loop (round 9).
 */
const WITHOUT_FACTS: ReadonlySet<string> = new Set([
  "ingest",
  "generate",
  "generate-postgres",
  "generate-pglite",
]);
/** The entry script (run.mjs calls main): children are started through it with --child. */
const MAIN = fileURLToPath(new URL("../../run.mjs", import.meta.url));

/** What a child benchmark prints: one JSON object per result line. */
export type Figures = { benchmark: string } & Record<string, unknown>;

/** Runs `run.mjs --child <name>` in its own process with the benchmark heap flags; its result lines. */
export function runChildProcess(name: string, o: BenchOptions, profile: boolean): Promise<Figures[]> {
  const nodeArgs = [
    "--expose-gc",
    // Lets a large run finish and report its peak RSS instead of dying at V8's default heap limit.
    `--max-old-space-size=${MAX_HEAP_MIB}`,
    // The engine allocates many short-lived objects (Decimals, trace strings, a manager's overlay items): a
    // larger young generation promotes fewer of them. 64 MiB measured 7-9% less CPU than 16 on the 300-rep
    // replay; 128 a fifth less than 64 on a default-size preview. The same size as the `icm` command's.
    `--max-semi-space-size=${SEMI_SPACE_MIB}`,
    ...(WITHOUT_FACTS.has(name) ? [] : [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]),
    ...(profile ? ["--cpu-prof", `--cpu-prof-dir=bench/profiles/${name}-w${o.workers}`] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, MAIN, "--child", name, ...toArgs(o)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`benchmark ${name} exited with ${code}`));
      try {
        resolve(
          stdout
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l) as Figures),
        );
      } catch (error) {
        reject(error);
      }
    });
  });
}
