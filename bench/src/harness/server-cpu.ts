import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of the servers on this machine that a benchmark drives (NATS and PostgreSQL), read from /proc:
 * the figure that showed ingest to be CPU-bound across the machine in round 10 (~315 µs of CPU per event,
 * NATS 65, PostgreSQL 53, the benchmark's process ~197), where the benchmark's own CPU alone hid two thirds
 * of the bill. Linux only; null elsewhere, or when no such process is visible.
 */
export interface ServerCpuMs {
  readonly nats: number | null;
  readonly postgres: number | null;
}

/**
 * Clock ticks per second of /proc/<pid>/stat's times: USER_HZ, 100 on every Linux architecture Node runs
 * on (the kernel keeps it fixed for user space whatever its internal HZ).
 */
const TICKS_PER_SECOND = 100;

/**
 * utime + stime + cutime + cstime of one /proc/<pid>/stat line, in ms. The children's times count the
 * PostgreSQL backends that have exited (the postmaster reaps them), so a phase's connections are counted
 * even when its pool has closed before the second reading. The command name may contain spaces and
 * parentheses: fields are counted from the last ")".
 */
export function statCpuMs(stat: string): number | null {
  // After the name: state is field 3 of the line, so utime (14) .. cstime (17) are indexes 11..14 here.
  return statTicksMs(stat, [11, 12, 13, 14]);
}

/** The sum of the given fields (indexes counted after the name) of a /proc stat line, in ms. */
function statTicksMs(stat: string, indexes: readonly number[]): number | null {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let ticks = 0;
  for (const i of indexes) {
    const value = Number(fields[i]);
    if (!Number.isFinite(value)) return null;
    ticks += value;
  }
  return ticks * (1000 / TICKS_PER_SECOND);
}

/** The servers' CPU so far (sum over their processes); subtract two readings to get a phase's. */
export function serverCpuMs(): ServerCpuMs {
  let nats: number | null = null;
  let postgres: number | null = null;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return { nats, postgres };
  }
  for (const pid of pids) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (comm !== "nats-server" && comm !== "postgres") continue;
      const ms = statCpuMs(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (ms === null) continue;
      if (comm === "nats-server") nats = (nats ?? 0) + ms;
      else postgres = (postgres ?? 0) + ms;
    } catch {
      // The process exited between the listing and the reads: its time is in its parent's children's times.
    }
  }
  return { nats, postgres };
}

/** CPU per event of each party and in all, µs (null where a server's CPU was not readable). */
export function cpuPerEventUs(
  events: number,
  oursMs: number,
  before: ServerCpuMs,
  after: ServerCpuMs,
): { ours: number; nats: number | null; postgres: number | null; all: number | null } {
  const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, events));
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const nats = delta(before.nats, after.nats);
  const postgres = delta(before.postgres, after.postgres);
  return {
    ours: per(oursMs),
    nats: nats === null ? null : per(nats),
    postgres: postgres === null ? null : per(postgres),
    all: nats === null || postgres === null ? null : per(oursMs + nats + postgres),
  };
}

/** utime + stime of one /proc stat line (a thread's own time, not its process's children's), in ms. */
export function statOwnCpuMs(stat: string): number | null {
  return statTicksMs(stat, [11, 12]);
}

/**
 * CPU of the calling thread so far, ms (/proc/thread-self: Linux only, null elsewhere), in 10 ms ticks: a
 * phase of 20,000 events is read to ±0.5 µs per event. Splits this process's CPU between the edge's
 * thread and the recorder's (round 11: the process total hid that the recorder's share doubles in the
 * closed loop).
 */
export function threadCpuMs(): number | null {
  try {
    return statOwnCpuMs(readFileSync("/proc/thread-self/stat", "utf8"));
  } catch {
    return null;
  }
}

/** This process's CPU per event split by thread, µs; null parts where /proc was not readable. */
export function oursByThread(
  events: number,
  oursMs: number,
  mainThreadMs: number | null,
  recorderThreadMs: number | null,
): { mainThread: number | null; recorderThread: number | null; otherThreads: number | null } {
  const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, events));
  const other = mainThreadMs === null ? null : oursMs - mainThreadMs - (recorderThreadMs ?? 0);
  return {
    mainThread: mainThreadMs === null ? null : per(mainThreadMs),
    recorderThread: recorderThreadMs === null ? null : per(recorderThreadMs),
    otherThreads: other === null ? null : per(Math.max(0, other)),
  };
}
