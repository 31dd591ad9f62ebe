import { fork } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { IcmWorkspace } from "@icm/workflows";
import type { FastifyInstance } from "fastify";
import { datasetRef, openStore } from "../generate/dataset.js";
import { ensureDataset } from "../generate/ensure.js";
import { peakRssMiB, percentile, timed } from "../harness/measure.js";
import type { BenchOptions } from "../harness/options.js";
import type { LoadInput } from "./load.js";
import { runWrk, wrkAvailable } from "./wrk.js";

/** Distinct statements the load cycles through (every connection walks the same list). */
const SAMPLE_STATEMENTS = 2_000;
const SECRET = "bench-secret-bench-secret-bench-secret!";
const ISSUER = "icm-bench";

/** The slice of services/icm's API module this benchmark calls (loaded from its build at run time). */
interface ApiModule {
  buildApiApp(options: {
    workspace: IcmWorkspace;
    auth: { secret: string; issuer: string };
  }): Promise<FastifyInstance>;
  signToken(
    claims: { sub: string; role: "finance" },
    secret: string,
    options: { issuer: string; expiresInSeconds: number },
  ): Promise<string>;
}

/**
 * GET /v1/statements/:repId/:period of the real API (services/icm, built) over an IcmWorkspace on the
 * PostgreSQL dataset, under `connections` concurrent keep-alive connections from a minimal HTTP client in
 * its own process (load.ts). First every sampled statement is requested once in turn (cold: computed and
 * serialised on first ask; `responseBytes` is their size distribution), then the load runs for `durationS`
 * seconds over the same default route, big managers' statements included (warm: answered from the API's
 * cache of serialised bodies, after the access check and the coalesced refresh round trip to the store).
 */
export async function query(o: BenchOptions): Promise<Record<string, unknown>> {
  const ref = datasetRef(o, "postgres");
  await ensureDataset(ref, o);
  const store = await openStore(ref, o, 10);
  // ICM_BENCH_API_MODULE: another build of the API module (a file path) to compare against, e.g. the
  // previous commit's services/icm/src/api compiled elsewhere; default: this checkout's build.
  const override = process.env.ICM_BENCH_API_MODULE;
  const api = (await import(
    override === undefined || override === ""
      ? new URL("../../../services/icm/dist/api/index.js", import.meta.url).href
      : pathToFileURL(override).href
  )) as ApiModule;
  const open = await timed(() => IcmWorkspace.open({ store }));
  const workspace = open.value;
  const app = await api.buildApiApp({ workspace, auth: { secret: SECRET, issuer: ISSUER } });
  try {
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const token = await api.signToken({ sub: "bench@example.com", role: "finance" }, SECRET, {
      issuer: ISSUER,
      expiresInSeconds: 3_600,
    });
    const paths = samplePaths(workspace);
    const cold: number[] = [];
    const sizes: number[] = [];
    for (const path of paths) {
      const t = await timed(async () => {
        const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        sizes.push((await response.arrayBuffer()).byteLength);
        if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
      });
      cold.push(t.ms);
    }
    cold.sort((a, b) => a - b);
    sizes.sort((a, b) => a - b);
    // The server's own CPU during the load (this process: the API and its workspace; the load generator is
    // a separate process): the figure to compare on a shared machine, per request answered.
    const cpuBefore = process.cpuUsage();
    // How long the server's event loop was blocked during each load phase: tells a stall inside the server
    // (a long task, GC) from one outside it (the load generator, the scheduler, the sockets).
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const input: LoadInput = { url, connections: o.connections, durationS: o.durationS, token, paths };
    const load = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const child = fork(fileURLToPath(new URL("./load.js", import.meta.url)), [], {
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      });
      child.once("message", (m) => resolve(m as Record<string, unknown>));
      child.once("error", reject);
      child.once("exit", (code) => {
        if (code !== 0) reject(new Error(`load generator exited with ${code}`));
      });
      child.send(input);
    });
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpuMs = (cpu.user + cpu.system) / 1_000;
    const answered = typeof load.requests === "number" ? load.requests : 0;
    loopDelay.disable();
    const builtInLoopDelay = loopDelayMs(loopDelay);
    loopDelay.reset();
    // The same load again from wrk when it is installed (apt-get install wrk): the figures of a real,
    // independent load generator next to the built-in client's.
    loopDelay.enable();
    const wrk = wrkAvailable()
      ? { ...(await runWrk(input)), serverEventLoopDelayMs: loopDelayMs(loopDelay) }
      : { skipped: "wrk is not installed (apt-get install wrk)" };
    loopDelay.disable();
    return {
      api: `${override || "services/icm/src/api"} (buildApiApp), GET /v1/statements/:repId/:period`,
      openWorkspaceMs: open.ms,
      statementsSampled: paths.length,
      coldSequentialMs: { p50: percentile(cold, 50), p99: percentile(cold, 99) },
      responseBytes: {
        p50: percentile(sizes, 50),
        p90: percentile(sizes, 90),
        p99: percentile(sizes, 99),
        max: sizes.at(-1) ?? 0,
        totalMiB: Math.round(sizes.reduce((sum, n) => sum + n, 0) / 1_048_576),
      },
      connections: o.connections,
      durationS: o.durationS,
      ...load,
      serverEventLoopDelayMs: builtInLoopDelay,
      wrk,
      serverCpuMsDuringLoad: Math.round(serverCpuMs),
      serverCpuMsPerRequest: answered === 0 ? null : Number((serverCpuMs / answered).toFixed(3)),
      targetP99Ms: 20,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await app.close();
    await store.close();
  }
}

/** Every k-th rep's payout periods, deterministic, up to SAMPLE_STATEMENTS paths. */
function samplePaths(workspace: IcmWorkspace): string[] {
  const reps = workspace.reps();
  const all: string[] = [];
  for (const repId of reps)
    for (const period of workspace.engineView.payoutPeriodsOf(repId))
      all.push(`/v1/statements/${encodeURIComponent(repId)}/${encodeURIComponent(period)}`);
  const step = Math.max(1, Math.floor(all.length / SAMPLE_STATEMENTS));
  return all.filter((_, i) => i % step === 0).slice(0, SAMPLE_STATEMENTS);
}

/** Event-loop delay percentiles in ms (the histogram counts in ns, from the 10 ms sampling timer). */
function loopDelayMs(h: ReturnType<typeof monitorEventLoopDelay>): { p50: number; p99: number; max: number } {
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}
