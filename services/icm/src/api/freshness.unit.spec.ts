import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coalescedRefresh } from "./freshness.js";

/** A refresh whose runs the test finishes by hand; records when each started. */
function controlledRefresh() {
  const runs: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const refresh = () =>
    new Promise<number>((resolve, reject) => {
      const index = runs.length;
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const done = () => {
        running -= 1;
      };
      runs.push({
        resolve: () => {
          done();
          resolve(index);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  return { refresh, runs, maxRunning: () => maxRunning };
}

/** Lets every pending promise reaction run (the coalescer chains a few). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("coalescedRefresh", () => {
  it("runs at most one refresh and queues one more, shared by every caller that arrived during it", async () => {
    const c = controlledRefresh();
    const fresh = coalescedRefresh(c.refresh);
    const first = fresh();
    expect(c.runs).toHaveLength(1);
    // Arrived after the running refresh started (it may have read the head before their writes): queued.
    const late = [fresh(), fresh(), fresh()];
    expect(c.runs).toHaveLength(1);
    c.runs[0]?.resolve(0);
    expect(await first).toBe(0);
    await settle();
    expect(c.runs).toHaveLength(2);
    const later = fresh(); // the queued one is running now: this caller waits for a third
    c.runs[1]?.resolve(1);
    expect(await Promise.all(late)).toEqual([1, 1, 1]);
    await settle();
    c.runs[2]?.resolve(2);
    expect(await later).toBe(2);
    expect(c.runs).toHaveLength(3);
    expect(c.maxRunning()).toBe(1);
  });

  it("hands a failed refresh's error to its callers only; the next call starts afresh", async () => {
    const c = controlledRefresh();
    const fresh = coalescedRefresh(c.refresh);
    const failing = fresh();
    const queued = fresh();
    c.runs[0]?.reject(new Error("store down"));
    await expect(failing).rejects.toThrow("store down");
    await settle();
    c.runs[1]?.resolve(1);
    expect(await queued).toBe(1);
    const again = fresh();
    expect(c.runs).toHaveLength(3);
    c.runs[2]?.resolve(2);
    expect(await again).toBe(2);
  });

  it("law: every caller is answered by a refresh that started after it called, one at a time (200 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("call", "finish"), { minLength: 1, maxLength: 40 }),
        async (steps) => {
          const c = controlledRefresh();
          const fresh = coalescedRefresh(c.refresh);
          const answers: Promise<{ startedBeforeCall: number; answeredBy: number }>[] = [];
          let finished = 0;
          const finishOne = async () => {
            c.runs[finished]?.resolve(finished);
            if (c.runs[finished] !== undefined) finished += 1;
            await settle();
          };
          for (const step of steps) {
            if (step === "call") {
              const startedBeforeCall = c.runs.length;
              answers.push(fresh().then((answeredBy) => ({ startedBeforeCall, answeredBy })));
            } else await finishOne();
          }
          // Drain: finish whatever is running or queued.
          while (finished < c.runs.length) await finishOne();
          for (const a of await Promise.all(answers))
            expect(a.answeredBy).toBeGreaterThanOrEqual(a.startedBeforeCall);
          expect(c.maxRunning()).toBeLessThanOrEqual(1);
          // At most two refreshes per burst of callers: never more refreshes than calls.
          expect(c.runs.length).toBeLessThanOrEqual(steps.filter((s) => s === "call").length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
