import { spawn } from "node:child_process";
import { type BundledFixture, bundleFixture } from "@icm/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// withSizedHeap in real processes: the restarted process has the heap asked for, and exits as it exits.

let fixture: BundledFixture | undefined;
let script: string;
beforeAll(async () => {
  fixture = await bundleFixture(new URL("./heap-fixture.ts", import.meta.url), "icm-heap-");
  script = fixture.script;
});
afterAll(() => fixture?.remove());

interface Run {
  readonly code: number | null;
  readonly lines: string[];
  readonly stderr: string;
}

function run(args: string[], env: Record<string, string>, onStart?: (pid: number) => void): Promise<Run> {
  const { ICM_HEAP_MIB: _a, ICM_HEAP_RELAUNCHED: _b, NODE_OPTIONS: _c, ...inherited } = process.env;
  const child = spawn(process.execPath, [script, ...args], { env: { ...inherited, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes("\n") && onStart !== undefined && child.pid !== undefined) {
      onStart(child.pid);
      onStart = undefined;
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ code, lines: stdout.trim().split("\n"), stderr }));
  });
}

const report = (r: Run) =>
  JSON.parse(r.lines[0] ?? "{}") as {
    limitMib: number;
    relaunched: boolean;
    args: string[];
    execArgv: string[];
  };

describe("withSizedHeap", () => {
  it("restarts once with ICM_HEAP_MIB of old space, same arguments, and exits with the child's code", async () => {
    const r = await run(["7"], { ICM_HEAP_MIB: "1536" });
    expect(r.code).toBe(7);
    const seen = report(r);
    expect(seen.relaunched).toBe(true);
    expect(seen.args).toEqual(["7"]);
    // The growth bound is a V8 flag NODE_OPTIONS cannot carry: it must reach the restarted process's own flags.
    expect(seen.execArgv).toContain("--heap-growing-percent=50");
    // heap_size_limit is the old space plus the young generation (3 × the 128 MiB semi-space).
    expect(seen.limitMib).toBeGreaterThanOrEqual(1536);
    expect(seen.limitMib).toBeLessThan(1536 + 512);
  });

  it("runs as started when the operator sized the heap, or turned it off", async () => {
    const sized = await run(["0"], { NODE_OPTIONS: "--max_old_space_size=700" });
    expect(sized.code).toBe(0);
    expect(report(sized).relaunched).toBe(false);
    expect(report(sized).limitMib).toBeLessThan(1_000);
    const off = await run(["5"], { ICM_HEAP_MIB: "off" });
    expect(off.code).toBe(5);
    expect(report(off).relaunched).toBe(false);
  });

  it("refuses a heap setting it cannot use, naming the variable", async () => {
    const r = await run(["0"], { ICM_HEAP_MIB: "8" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ICM_HEAP_MIB must be a whole number of MiB of at least 512");
  });

  it("passes SIGTERM on to the restarted process, which stops as it would on its own", async () => {
    const r = await run(["wait"], { ICM_HEAP_MIB: "1024" }, (pid) => process.kill(pid, "SIGTERM"));
    expect(report(r).relaunched).toBe(true);
    expect({ lines: r.lines.slice(1), code: r.code }).toEqual({ lines: ["stopping on SIGTERM"], code: 3 });
    expect(r.code).toBe(3);
  });
});
