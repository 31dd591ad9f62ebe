import { describe, expect, it } from "vitest";
import { hasCpuFlag, roundTripUs } from "./probe.js";

describe("machine probe: pure parts", () => {
  it("reads a CPU flag as a whole word of the first flags line", () => {
    const cpuinfo = [
      "processor\t: 0",
      "model name\t: AMD EPYC",
      "flags\t\t: fpu vme pcid_like sse2 pcid",
      "processor\t: 1",
      "flags\t\t: fpu",
    ].join("\n");
    expect(hasCpuFlag(cpuinfo, "pcid")).toBe(true);
    expect(hasCpuFlag(cpuinfo, "pci")).toBe(false);
    expect(hasCpuFlag("flags\t\t: fpu vme pcid_like", "pcid")).toBe(false);
    expect(hasCpuFlag("model name\t: no flags line", "pcid")).toBeNull();
  });

  it("times every round trip after the warm-up and reports ordered percentiles", async () => {
    let calls = 0;
    const figures = await roundTripUs(async () => {
      calls += 1;
    });
    expect(calls).toBe(450);
    expect(figures.p50).toBeGreaterThanOrEqual(0);
    expect(figures.p90).toBeGreaterThanOrEqual(figures.p50);
    expect(figures.p99).toBeGreaterThanOrEqual(figures.p90);
  });
});
