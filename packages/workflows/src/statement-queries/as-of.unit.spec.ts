import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogTimeIndex, positionAtTime } from "./as-of.js";

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

  it("law: the run index answers as positionAtTime over every event, whatever the clock did", () => {
    const base = Date.UTC(2026, 3, 1, 9);
    // Few distinct times, so that runs form; some repeat out of order (a clock that stepped back) and some
    // are not times at all (never matched).
    const stamp = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.integer({ min: 0, max: 6 }).map((m) => new Date(base + m * 60_000).toISOString()),
      },
      { weight: 1, arbitrary: fc.constantFrom("not a time", "") },
    );
    const gap = fc.integer({ min: 1, max: 3 });
    const query = fc
      .integer({ min: -1, max: 7 })
      .map((m) => new Date(base + m * 60_000 + 30_000).toISOString());
    fc.assert(
      fc.property(
        fc.array(fc.tuple(gap, stamp), { maxLength: 40 }),
        fc.array(query, { minLength: 1, maxLength: 5 }),
        (events, queries) => {
          const entries: { position: number; recordedAt: string }[] = [];
          const runs = new LogTimeIndex();
          let position = 0;
          for (const [step, recordedAt] of events) {
            position += step;
            entries.push({ position, recordedAt });
            runs.add(position, recordedAt);
          }
          for (const time of [
            ...queries,
            ...entries.map((e) => e.recordedAt).filter((t) => t.startsWith("2026")),
          ])
            expect(runs.positionAt(time)).toBe(positionAtTime(entries, time));
          expect(runs.runs).toBeLessThanOrEqual(entries.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps one run per append time, and refuses positions out of order", () => {
    const runs = new LogTimeIndex();
    for (let position = 1; position <= 1_000; position += 1)
      runs.add(position, position <= 600 ? "2026-04-01T09:00:00.000Z" : "2026-04-01T09:00:01.000Z");
    expect(runs.runs).toBe(2);
    expect(runs.positionAt("2026-04-01T09:00:00.500Z")).toBe(600);
    expect(runs.positionAt("2026-04-01T09:00:01Z")).toBe(1_000);
    expect(() => runs.add(1_000, "2026-04-01T09:00:02.000Z")).toThrow(RangeError);
    expect(() => runs.positionAt("yesterday")).toThrow(RangeError);
  });
});
