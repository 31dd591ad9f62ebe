import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { positionAtTime } from "./as-of.js";

describe("as of a time", () => {
  const index = [
    { position: 1, recordedAt: "2026-04-01T09:00:00.000Z" },
    { position: 2, recordedAt: "2026-04-01T09:00:01.000Z" },
    { position: 5, recordedAt: "2026-04-01T10:00:00.000Z" },
  ];

  it("maps a time to the last event recorded at or before it", () => {
    expect(positionAtTime(index, "2026-04-01T08:59:59Z")).toBe(0);
    expect(positionAtTime(index, "2026-04-01T09:00:00Z")).toBe(1);
    expect(positionAtTime(index, "2026-04-01T09:30:00Z")).toBe(2);
    expect(positionAtTime(index, "2026-04-01T12:00:00+02:00")).toBe(5);
    expect(positionAtTime(index, "2026-04-02")).toBe(5);
  });

  it("rejects text that is not an ISO 8601 time", () => {
    expect(() => positionAtTime(index, "yesterday")).toThrow(RangeError);
    expect(() => positionAtTime(index, "1712000000")).toThrow(RangeError);
  });

  it("law: a later time never maps to an earlier position", () => {
    const ms = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) });
    fc.assert(
      fc.property(fc.array(ms, { maxLength: 20 }), ms, ms, (stamps, a, b) => {
        const log = [...stamps]
          .sort((x, y) => x - y)
          .map((t, i) => ({ position: i + 1, recordedAt: new Date(t).toISOString() }));
        const [early, late] = a <= b ? [a, b] : [b, a];
        const p = positionAtTime(log, new Date(early).toISOString());
        const q = positionAtTime(log, new Date(late).toISOString());
        expect(p).toBeLessThanOrEqual(q);
        expect(log.filter((e) => e.position <= p).every((e) => Date.parse(e.recordedAt) <= early)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
