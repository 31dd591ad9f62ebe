import { describe, expect, it } from "vitest";
import {
  cpuPerEventUs,
  oursByThread,
  serverCpuMs,
  statCpuMs,
  statOwnCpuMs,
  threadCpuMs,
} from "./server-cpu.js";

describe("servers' CPU from /proc", () => {
  it("reads utime + stime + cutime + cstime, counting fields after the last parenthesis of the name", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const stat = "2989 (nats (x) server) S 1 2989 2989 0 -1 4194560 100 0 0 0 250 40 7 3 20 0 12 0";
    expect(statCpuMs(stat)).toBe((250 + 40 + 7 + 3) * 10);
    expect(statCpuMs("1 (short) S 1")).toBeNull();
  });

  it("gives each party's CPU per event, and null where a server was not readable", () => {
    const before = { nats: 1_000, postgres: 2_000 };
    const after = { nats: 1_650, postgres: 2_530 };
    expect(cpuPerEventUs(10_000, 1_970, before, after)).toEqual({
      ours: 197,
      nats: 65,
      postgres: 53,
      all: 315,
    });
    expect(cpuPerEventUs(10_000, 1_970, { nats: null, postgres: 2_000 }, after)).toEqual({
      ours: 197,
      nats: null,
      postgres: 53,
      all: null,
    });
  });

  it("reads this machine's servers when it has any (never a negative or fractional total)", () => {
    const now = serverCpuMs();
    for (const ms of [now.nats, now.postgres]) {
      if (ms === null) continue;
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(ms)).toBe(true);
    }
  });

  it("splits this process's CPU by thread: utime + stime of a thread, the rest as other threads", () => {
    const stat = "2989 (node (x)) R 1 2989 2989 0 -1 4194560 100 0 0 0 250 40 7 3 20 0 12 0";
    expect(statOwnCpuMs(stat)).toBe((250 + 40) * 10);
    expect(oursByThread(10_000, 1_000, 600, 300)).toEqual({
      mainThread: 60,
      recorderThread: 30,
      otherThreads: 10,
    });
    expect(oursByThread(10_000, 1_000, 900, null)).toEqual({
      mainThread: 90,
      recorderThread: null,
      otherThreads: 10,
    });
    expect(oursByThread(10_000, 1_000, null, null)).toEqual({
      mainThread: null,
      recorderThread: null,
      otherThreads: null,
    });
  });

  it("reads the calling thread's CPU on Linux, and it grows with work", () => {
    const before = threadCpuMs();
    if (before === null) return;
    // Busy until the thread has used 50 ms (bounded by 10 s of wall time on a starved machine).
    const giveUpAt = performance.now() + 10_000;
    let x = 0;
    while ((threadCpuMs() ?? 0) - before < 50 && performance.now() < giveUpAt)
      for (let i = 0; i < 100_000; i += 1) x += Math.sqrt(x + i);
    expect(x).toBeGreaterThan(0);
    expect((threadCpuMs() ?? 0) - before).toBeGreaterThanOrEqual(50);
  });
});
