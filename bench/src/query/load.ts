import { connect, type Socket } from "node:net";

export interface LoadInput {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly token: string;
  readonly paths: readonly string[];
}

/** A request slower than this counts as a timeout and its connection is replaced (as in wrk and autocannon). */
const TIMEOUT_MS = 10_000;
/** Latency samples kept at most (a bound on the generator's memory; far above 10 s of this API). */
const MAX_SAMPLES = 5_000_000;
const HEADER_END = Buffer.from("\r\n\r\n");
/** A response head larger than this is not one of this API's: the connection is dropped as an error. */
const MAX_HEAD_BYTES = 64 * 1024;

// The load generator runs in its own process (forked, input over IPC), so that its event loop does not
// share the server's. It is a minimal HTTP/1.1 keep-alive client: one request in flight per connection,
// the response head parsed for status and Content-Length, the body counted and dropped. autocannon 8 (used
// before) appends every response body to a JS string (for its body checks), which for this API's
// 25 KB–1.5 MB statements cost more CPU than the server itself spent answering (it measured the client).
const input = await new Promise<LoadInput>((resolve) =>
  process.once("message", (m) => resolve(m as LoadInput)),
);
const target = new URL(input.url);
const requests = input.paths.map((path) =>
  Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${input.token}\r\nConnection: keep-alive\r\n\r\n`,
    "latin1",
  ),
);
const latencies = new Float64Array(MAX_SAMPLES);
let samples = 0;
let answered = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
let bytes = 0;
let next = 0;
let running = true;

function open(): void {
  const socket: Socket = connect(Number(target.port), target.hostname);
  socket.setNoDelay(true);
  let head: Buffer | undefined;
  let remaining = -1;
  let status = 0;
  let startedNs = 0n;
  let timer: NodeJS.Timeout | undefined;
  const send = () => {
    if (!running) {
      socket.destroy();
      return;
    }
    const request = requests[next % requests.length] as Buffer;
    next += 1;
    head = undefined;
    remaining = -1;
    startedNs = process.hrtime.bigint();
    timer = setTimeout(() => {
      timeouts += 1;
      socket.destroy();
      if (running) open();
    }, TIMEOUT_MS);
    socket.write(request);
  };
  const fail = () => {
    clearTimeout(timer);
    errors += 1;
    socket.destroy();
    if (running) setImmediate(open);
  };
  socket.on("connect", send);
  socket.on("error", () => undefined);
  socket.on("close", () => clearTimeout(timer));
  socket.on("data", (chunk: Buffer) => {
    let body = chunk;
    if (remaining < 0) {
      head = head === undefined ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf(HEADER_END);
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) fail();
        return;
      }
      const text = head.subarray(0, end).toString("latin1");
      status = Number(text.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      // Every answer of this API names its length (no chunked bodies); 304 has none.
      remaining = length === null ? 0 : Number(length[1]);
      body = head.subarray(end + HEADER_END.length);
      head = undefined;
    }
    remaining -= body.length;
    bytes += body.length;
    if (remaining > 0) return;
    if (remaining < 0) {
      fail(); // more bytes than announced: not a response this client understands
      return;
    }
    clearTimeout(timer);
    const ms = Number(process.hrtime.bigint() - startedNs) / 1e6;
    if (samples < MAX_SAMPLES) latencies[samples++] = ms;
    answered += 1;
    if (status < 200 || status > 299) non2xx += 1;
    send();
  });
}

const startedAt = process.hrtime.bigint();
for (let i = 0; i < input.connections; i += 1) open();
await new Promise((resolve) => setTimeout(resolve, input.durationS * 1_000));
running = false;
const elapsedS = Number(process.hrtime.bigint() - startedAt) / 1e9;
const sorted = latencies.subarray(0, samples).sort();
const at = (p: number) =>
  samples === 0 ? 0 : (sorted[Math.min(samples - 1, Math.max(0, Math.ceil((p / 100) * samples) - 1))] ?? 0);
let sum = 0;
for (const ms of sorted) sum += ms;
const round = (ms: number) => Number(ms.toFixed(2));
process.send?.({
  loadGenerator: "bench/src/query/load.ts (HTTP/1.1 keep-alive, one request in flight per connection)",
  latencyMs: {
    p50: round(at(50)),
    p90: round(at(90)),
    p99: round(at(99)),
    max: round(at(100)),
    average: samples === 0 ? 0 : round(sum / samples),
  },
  requestsPerSecond: Number((answered / elapsedS).toFixed(1)),
  requests: answered,
  responseMiBPerSecond: Number((bytes / elapsedS / 1_048_576).toFixed(1)),
  errors,
  timeouts,
  non2xx,
});
process.disconnect?.();
process.exit(0);
