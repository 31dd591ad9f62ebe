import { describe, expect, it } from "vitest";
import { cpuPerEventUs, serverCpuMs, statCpuMs } from "./server-cpu.js";

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
});
