import { describe, expect, it } from "vitest";
import { runDemo } from "./demo.js";
import { memoryIo } from "./io.js";

// The demo end to end, in-process, on a smaller organisation: what the README promises must hold.

describe("icm demo", () => {
  it("closes three quarters, reproduces every close, shows the late deal's prior-period adjustment", async () => {
    const io = memoryIo();
    const result = await runDemo(io, { reps: 20, deals: 400, seed: 7 });
    expect(result.closes.map((c) => c.period)).toEqual(["2026-Q1", "2026-Q2", "2026-Q3"]);
    expect(result.verifications.map((v) => v.status)).toEqual(["reproduced", "reproduced", "reproduced"]);
    expect(result.lateDeal?.adjustments.length).toBeGreaterThan(0);
    expect(result.tamper?.report.status).toBe("diverged");
    expect(result.tamper?.report.brokenAt).toBe(result.tamper?.position);
    const out = io.out();
    expect(out).toContain("REPRODUCED");
    expect(out).toContain("prior-period adjustment");
    // About 5 s alone; the generous bound is for a CI machine shared with other suites, never a wall-time assertion.
  }, 240_000);
});
