import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadInput } from "./load.js";

/** wrk's own threads: one per core of this machine is what its documentation suggests. */
const WRK_THREADS = 2;
/** A wrk run that has not ended this long after its duration is stuck: it is killed. */
const WRK_GRACE_MS = 30_000;

/** Whether the `wrk` load generator (Debian package `wrk`) is installed. */
export function wrkAvailable(): boolean {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // `wrk --version` prints its usage and exits 1 when it IS installed; ENOENT means it is not.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/**
 * The same closed-loop load from wrk (a C load generator that discards bodies without building strings):
 * a cross-check of the built-in client's figures by a real, widely used tool. Connections cycle through
 * the same paths with the same token; wrk's `done` hook prints the figures as JSON (latency in µs).
 */
export async function runWrk(input: LoadInput): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "icm-wrk-"));
  try {
    const script = join(dir, "paths.lua");
    const lines = input.paths.map((p) => `  ${JSON.stringify(p)},`).join("\n");
    writeFileSync(
      script,
      `local paths = {\n${lines}\n}
local counter = 0
wrk.headers["Authorization"] = "Bearer ${input.token}"
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
  io.write(string.format('WRK-JSON {"requests":%d,"durationUs":%d,"bytes":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f,"errors":%d,"timeouts":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, errors, summary.errors.timeout, summary.errors.status))
end
`,
    );
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        "wrk",
        [
          `-t${WRK_THREADS}`,
          `-c${input.connections}`,
          `-d${input.durationS}s`,
          "--timeout",
          "10s",
          "-s",
          script,
          input.url,
        ],
        { timeout: input.durationS * 1_000 + WRK_GRACE_MS, maxBuffer: 16 * 1_048_576 },
        (error, out) => (error === null ? resolve(out) : reject(error)),
      );
    });
    const line = stdout.split("\n").find((l) => l.startsWith("WRK-JSON "));
    if (line === undefined) throw new Error(`wrk printed no figures:\n${stdout}`);
    const f = JSON.parse(line.slice("WRK-JSON ".length)) as Record<string, number>;
    const ms = (us: number | undefined) => Number(((us ?? 0) / 1_000).toFixed(2));
    const seconds = (f.durationUs ?? 1) / 1e6;
    return {
      loadGenerator: `wrk ${WRK_THREADS} threads (closed loop, one request in flight per connection)`,
      latencyMs: {
        p50: ms(f.p50Us),
        p90: ms(f.p90Us),
        p99: ms(f.p99Us),
        max: ms(f.maxUs),
        average: ms(f.meanUs),
      },
      requestsPerSecond: Number(((f.requests ?? 0) / seconds).toFixed(1)),
      requests: f.requests,
      responseMiBPerSecond: Number(((f.bytes ?? 0) / seconds / 1_048_576).toFixed(1)),
      errors: f.errors,
      timeouts: f.timeouts,
      non2xx: f.non2xx,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
