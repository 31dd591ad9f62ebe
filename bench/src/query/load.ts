import autocannon from "autocannon";

export interface LoadInput {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly token: string;
  readonly paths: readonly string[];
}

// The load generator runs in its own process (forked, input over IPC), so that its event loop does not
// share the server's; autocannon inside a worker thread takes itself for one of its own workers.
const input = await new Promise<LoadInput>((resolve) =>
  process.once("message", (m) => resolve(m as LoadInput)),
);
const result = await autocannon({
  url: input.url,
  connections: input.connections,
  duration: input.durationS,
  headers: { authorization: `Bearer ${input.token}` },
  requests: input.paths.map((path) => ({ method: "GET", path })),
});
process.send?.({
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    average: result.latency.average,
  },
  requestsPerSecond: result.requests.average,
  requests: result.requests.total,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
});
process.disconnect?.();
