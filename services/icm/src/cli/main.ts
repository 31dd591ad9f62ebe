#!/usr/bin/env node
import { processIo } from "./io.js";
import { runIcm } from "./program.js";

// The `icm` command. Exit codes: see exit-codes.ts (0 ok, 1 failure, 2 invalid input, 3 refused, 4 not reproduced).
runIcm(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`icm: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
