import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type BundledFixture, bundleFixture } from "@icm/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The process's switch in real processes: V8 takes the flag set at run time, and the end of the read
// collects. Counts of full collections, never times.

let fixture: BundledFixture | undefined;
let script: string;
beforeAll(async () => {
  fixture = await bundleFixture(new URL("./heap-growth-fixture.ts", import.meta.url), "icm-heap-growth-");
  script = fixture.script;
});
afterAll(() => fixture?.remove());

interface Report {
  readonly bound: number | undefined;
  readonly duringRead: number;
  readonly afterEnd: number;
  readonly kept: number;
}

async function run(mode: "bulk" | "plain" | "worker", nodeFlags: string[]): Promise<Report> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeFlags, script, mode], {
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  return JSON.parse(stdout.trim()) as Report;
}

describe("the heap's growth bound in a real process", () => {
  // A tight bound makes the difference large: at 5 % V8 marks the growing heap again and again.
  const bounded = ["--heap-growing-percent=5"];

  it("a bulk read runs fewer full collections than the bound gives, and collects once at its end", async () => {
    const plain = await run("plain", bounded);
    const bulk = await run("bulk", bounded);
    expect(plain.bound).toBe(5);
    expect(bulk.kept).toBe(plain.kept);
    expect(plain.duringRead).toBeGreaterThan(bulk.duringRead);
    expect(plain.afterEnd).toBe(0);
    expect(bulk.afterEnd).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("a worker thread's switch never switches (V8's flags are the process's)", async () => {
    const report = (await run("worker", bounded)) as unknown as {
      bound: number | null;
      isMainThread: boolean;
    };
    expect(report).toEqual({ bound: null, isMainThread: false });
  }, 60_000);

  it("a process started without a bound is left alone", async () => {
    const report = await run("bulk", []);
    expect(report.bound).toBeUndefined();
    expect(report.afterEnd).toBe(0);
  }, 60_000);
});
