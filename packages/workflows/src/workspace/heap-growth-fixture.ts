import { constants, PerformanceObserver } from "node:perf_hooks";
import { isMainThread, Worker } from "node:worker_threads";
import { processHeapGrowth } from "./heap-growth.js";

// "worker": this same script in a worker thread reports the bound its switch holds ("report"), and exits.
const mode = process.argv[2];
if (mode === "worker") {
  const worker = new Worker(new URL(import.meta.url), { argv: ["report"] });
  await new Promise((resolve) => worker.once("exit", resolve));
  process.exit(0);
}
if (mode === "report") {
  process.stdout.write(`${JSON.stringify({ bound: processHeapGrowth.bound ?? null, isMainThread })}\n`);
  process.exit(0);
}

// Test fixture for heap-growth.int.spec.ts: keeps a few hundred MB of small objects, as an apply keeps its
// facts, inside a bulk read ("bulk") or not ("plain"), and reports the full collections V8 ran during the
// allocation and after the read ended.
let major = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
      major += 1;
  }
});
observer.observe({ entryTypes: ["gc"] });
// GC entries are delivered asynchronously: let them arrive before reading the count.
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

const end = mode === "bulk" ? processHeapGrowth.enterBulk() : () => undefined;
const kept: { id: string; n: number; list: number[] }[] = [];
for (let i = 0; i < 4_000_000; i += 1) kept.push({ id: `deal-${i}`, n: i, list: [i] });
await settle();
const duringRead = major;
end();
await settle();
observer.disconnect();
process.stdout.write(
  `${JSON.stringify({ bound: processHeapGrowth.bound, duringRead, afterEnd: major - duringRead, kept: kept.length })}\n`,
);
