import { getHeapStatistics } from "node:v8";
import { withSizedHeap } from "./heap.js";

// Test fixture for heap.int.spec.ts: reports the heap it runs with (once it is ready for a signal), then
// exits with the code it is told, or waits for SIGTERM when told to.
await withSizedHeap(async () => {
  if (process.argv[2] === "wait") {
    const timer = setInterval(() => undefined, 1_000);
    process.once("SIGTERM", () => {
      process.stdout.write("stopping on SIGTERM\n");
      process.exitCode = 3;
      clearInterval(timer);
    });
  } else {
    process.exitCode = Number(process.argv[2] ?? 0);
  }
  const limitMib = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  const relaunched = process.env.ICM_HEAP_RELAUNCHED === "1";
  const execArgv = process.execArgv;
  process.stdout.write(
    `${JSON.stringify({ limitMib, relaunched, args: process.argv.slice(2), execArgv })}\n`,
  );
});
