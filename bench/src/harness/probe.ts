import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { percentile } from "./measure.js";

/**
 * Figures of the machine itself, measured once at the start of every `npm run bench`. A benchmark's figures
 * compare only with figures taken on a machine whose probe reads alike: in round 10 the same ingest code ran
 * at half of round 7's rate, and what differed was the price of the system calls and round trips the path
 * is made of (docs/benchmarks.md, round 10), not the CPU's speed.
 */
export interface MachineProbe {
  /** One fstat(2) through Node's fs binding, in ns: the price of entering the kernel. */
  readonly syscallNs: number;
  /** SHA-256 of 64 KiB buffers on one core, MiB/s: the CPU's own speed, for comparison. */
  readonly sha256MiBPerSecond: number;
  /** `SELECT 1` on one open connection, µs: what every statement pays on top of its work. */
  readonly postgresRoundTripUs: RoundTripUs | { readonly unavailable: string };
  /** A NATS PING/PONG (`flush`) on one open connection, µs. */
  readonly natsRoundTripUs: RoundTripUs | { readonly unavailable: string };
  readonly kernel: KernelFacts;
}

/**
 * Percentiles of one round trip, µs. The tail matters as much as the median: a path of several round trips
 * in a row (an append is four) meets the tail often.
 */
export interface RoundTripUs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** Kernel settings that change the figures above (read from /proc and /sys; null where not readable). */
export interface KernelFacts {
  /** /sys/devices/system/cpu/vulnerabilities/meltdown, e.g. "Mitigation: PTI" (every syscall switches page tables). */
  readonly meltdown: string | null;
  /** Whether the CPU offers PCID; without it PTI also flushes the TLB on every kernel entry and exit. */
  readonly pcid: boolean | null;
  /** Whether a DAMON monitor is running (it samples and clears page-accessed bits: costs on large heaps). */
  readonly damonRunning: boolean | null;
}

/** Round trips timed per service. */
const ROUND_TRIPS = 400;
/** Untimed round trips first: connection set-up, JIT, server caches. */
const WARM_UP_ROUND_TRIPS = 50;
const SYSCALLS = 200_000;
const SHA256_BUFFER_BYTES = 64 * 1024;
const SHA256_BUFFERS = 1_600;
/** A probe that cannot connect in this long reports the service as unavailable. */
const CONNECT_TIMEOUT_MS = 2_000;

export async function probeMachine(urls: { postgresUrl: string; natsUrl: string }): Promise<MachineProbe> {
  return {
    syscallNs: syscallNs(),
    sha256MiBPerSecond: sha256MiBPerSecond(),
    postgresRoundTripUs: await orUnavailable(() => postgresRoundTripUs(urls.postgresUrl)),
    natsRoundTripUs: await orUnavailable(() => natsRoundTripUs(urls.natsUrl)),
    kernel: kernelFacts(),
  };
}

function syscallNs(): number {
  const fd = openSync("/dev/null", "r");
  try {
    const started = performance.now();
    for (let i = 0; i < SYSCALLS; i += 1) fstatSync(fd);
    return Math.round(((performance.now() - started) * 1e6) / SYSCALLS);
  } finally {
    closeSync(fd);
  }
}

function sha256MiBPerSecond(): number {
  const buffer = Buffer.alloc(SHA256_BUFFER_BYTES, 0x5a);
  const started = performance.now();
  for (let i = 0; i < SHA256_BUFFERS; i += 1) createHash("sha256").update(buffer).digest();
  const seconds = (performance.now() - started) / 1_000;
  return Math.round((SHA256_BUFFER_BYTES * SHA256_BUFFERS) / 2 ** 20 / seconds);
}

async function orUnavailable(
  measure: () => Promise<RoundTripUs>,
): Promise<RoundTripUs | { readonly unavailable: string }> {
  try {
    return await measure();
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
}

/** Percentiles of `ROUND_TRIPS` timed calls of `roundTrip`, after the warm-up, in µs (one decimal). */
export async function roundTripUs(roundTrip: () => Promise<unknown>): Promise<RoundTripUs> {
  for (let i = 0; i < WARM_UP_ROUND_TRIPS; i += 1) await roundTrip();
  const timesMs: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i += 1) {
    const started = performance.now();
    await roundTrip();
    timesMs.push(performance.now() - started);
  }
  timesMs.sort((a, b) => a - b);
  const at = (p: number) => Math.round(percentile(timesMs, p) * 10_000) / 10;
  return { p50: at(50), p90: at(90), p99: at(99) };
}

async function postgresRoundTripUs(url: string): Promise<RoundTripUs> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    return await roundTripUs(() => client.query("SELECT 1"));
  } finally {
    await client.end();
  }
}

async function natsRoundTripUs(url: string): Promise<RoundTripUs> {
  const { connect } = await import("nats");
  const nc = await connect({ servers: url, timeout: CONNECT_TIMEOUT_MS, reconnect: false });
  try {
    return await roundTripUs(() => nc.flush());
  } finally {
    await nc.close();
  }
}

function kernelFacts(): KernelFacts {
  const cpuinfo = readOrNull("/proc/cpuinfo");
  return {
    meltdown: readOrNull("/sys/devices/system/cpu/vulnerabilities/meltdown")?.trim() ?? null,
    pcid: cpuinfo === null ? null : hasCpuFlag(cpuinfo, "pcid"),
    damonRunning: damonRunning(),
  };
}

/** Whether the first `flags` line of /proc/cpuinfo lists `flag` (a whole word). */
export function hasCpuFlag(cpuinfo: string, flag: string): boolean | null {
  const line = cpuinfo.split("\n").find((l) => l.startsWith("flags"));
  if (line === undefined) return null;
  return (line.split(":")[1] ?? "").trim().split(/\s+/).includes(flag);
}

/** Whether any kdamond under /sys/kernel/mm/damon/admin is "on" (null: no DAMON sysfs interface). */
function damonRunning(): boolean | null {
  const count = readOrNull("/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds");
  if (count === null) return null;
  const kdamonds = Number(count.trim());
  if (!Number.isInteger(kdamonds)) return null;
  for (let i = 0; i < kdamonds; i += 1) {
    if (readOrNull(`/sys/kernel/mm/damon/admin/kdamonds/${i}/state`)?.trim() === "on") return true;
  }
  return false;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
