import { MAX_APPEND_BATCH } from "@icm/event-store";
import { describe, expect, it } from "vitest";
import { DEFAULT_RECORDER_LIMITS, nakDelayMs, recorderLimits } from "./limits.js";

describe("recorder limits", () => {
  it("derives a backoff that starts at the ack wait and fits under max deliver (NATS rules)", () => {
    expect(recorderLimits({ ackWaitMs: 2_000, maxDeliver: 5 }).backoffMs).toEqual([2_000, 4_000, 8_000]);
    expect(recorderLimits({ ackWaitMs: 2_000, maxDeliver: 2 }).backoffMs).toEqual([2_000]);
    expect(recorderLimits({ fetchBatch: 50 }).maxAckPending).toBe(150);
    expect(recorderLimits()).toEqual(DEFAULT_RECORDER_LIMITS);
  });

  it("refuses limits NATS would refuse, saying which", () => {
    expect(() => recorderLimits({ ackWaitMs: 1_000, backoffMs: [2_000] })).toThrow(
      "backoffMs[0] must equal ackWaitMs",
    );
    expect(() => recorderLimits({ maxDeliver: 2, backoffMs: [30_000, 60_000] })).toThrow(
      "maxDeliver (2) must exceed",
    );
    expect(() => recorderLimits({ fetchBatch: 0 })).toThrow("positive integers");
    expect(() => recorderLimits({ appendAttempts: 0 })).toThrow("positive integers");
    expect(() => recorderLimits({ fetchExpiresMs: 500 })).toThrow("at least 1000");
    expect(() => recorderLimits({ fetchBatch: MAX_APPEND_BATCH + 1 })).toThrow("one appendMany per batch");
    expect(() => recorderLimits({ fetchBatch: 100, maxAckPending: 10 })).toThrow(
      "maxAckPending must be at least fetchBatch",
    );
  });

  it("doubles the nak delay per delivery, up to the cap", () => {
    const limits = recorderLimits({ nakDelayBaseMs: 500, nakDelayMaxMs: 3_000 });
    expect([1, 2, 3, 4, 5].map((n) => nakDelayMs(limits, n))).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });

  it("by default, retries a failed append for minutes (a database restart), not seconds, before dead letters", () => {
    const limits = recorderLimits();
    let pausesMs = 0;
    for (let attempt = 1; attempt < limits.appendAttempts; attempt += 1)
      pausesMs += nakDelayMs(limits, attempt);
    expect(pausesMs).toBeGreaterThanOrEqual(2 * 60_000);
    expect(pausesMs).toBeLessThanOrEqual(5 * 60_000);
  });
});
