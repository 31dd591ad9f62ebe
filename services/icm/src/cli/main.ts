#!/usr/bin/env node
import { withSizedHeap } from "../runtime/heap.js";

// The `icm` command. Exit codes: see exit-codes.ts (0 ok, 1 failure, 2 invalid input, 3 refused, 4 not reproduced).
// The program is imported only in the process that runs it (withSizedHeap may start a second one).
withSizedHeap(async () => {
  const [{ processIo }, { runIcm }] = await Promise.all([import("./io.js"), import("./program.js")]);
  process.exitCode = await runIcm(process.argv.slice(2), processIo());
}).catch((error: unknown) => {
  process.stderr.write(`icm: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
