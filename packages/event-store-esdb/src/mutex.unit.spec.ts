import { describe, expect, it } from "vitest";
import { Mutex } from "./mutex.js";

describe("Mutex", () => {
  it("runs critical sections one at a time, in call order, and carries on after a failure", async () => {
    const mutex = new Mutex();
    const trace: string[] = [];
    let inside = 0;
    const section = (name: string, fail = false) =>
      mutex.run(async () => {
        inside += 1;
        expect(inside).toBe(1);
        trace.push(`${name}:start`);
        await new Promise((resolve) => setImmediate(resolve));
        trace.push(`${name}:end`);
        inside -= 1;
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([section("a"), section("b", true), section("c")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(trace).toEqual(["a:start", "a:end", "b:start", "b:end", "c:start", "c:end"]);
  });
});
