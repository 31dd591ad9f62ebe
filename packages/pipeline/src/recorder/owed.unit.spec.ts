import { describe, expect, it } from "vitest";
import { type Debt, type ForgivenReason, owedSequences } from "./owed.js";

const group = (...seqs: number[]) => seqs.map((seq) => ({ seq }));

function tracker(waitMs = 1_000, capacity = 100) {
  const forgiven: [number, ForgivenReason][] = [];
  const owed = owedSequences({
    waitMs,
    capacity,
    onForgiven: (debt: Debt, reason) => forgiven.push([debt.seq, reason]),
  });
  return { owed, forgiven };
}

describe("owed sequences", () => {
  it("lets everything through when nothing is owed", () => {
    const { owed } = tracker();
    expect(owed.appendable(group(1, 2, 3), 0)).toEqual({ count: 3 });
    expect(owed.appendable([], 0)).toEqual({ count: 0 });
  });

  it("holds back everything above the lowest debt until it is cleared, then the next debt", () => {
    const { owed } = tracker();
    owed.owe(16, 50, 0);
    for (const seq of [17, 18, 21]) owed.owe(seq, 100, 0);
    // Newer messages delivered first (the race the debts are for): none of them may go.
    expect(owed.appendable(group(41, 42), 10)).toMatchObject({ count: 0, blocker: { seq: 16, dueAtMs: 50 } });
    // Held back ones coming back before the failed one: still behind it.
    expect(owed.appendable(group(17, 18), 10)).toMatchObject({ count: 0, blocker: { seq: 16 } });
    // The owed message itself goes, and the ones after it in the same group that are owed too; the group
    // stops at the first one with a debt below it that is not in the group (19 and 20 were never owed: they
    // were acknowledged or terminated earlier, so 21 waits only for itself).
    expect(owed.appendable(group(16, 17, 18, 21, 41), 60)).toEqual({ count: 5 });
    expect(owed.appendable(group(16, 18, 41), 60)).toMatchObject({ count: 1, blocker: { seq: 17 } });
    owed.clear(16);
    expect(owed.appendable(group(41), 60)).toMatchObject({ count: 0, blocker: { seq: 17 } });
    expect(owed.appendable(group(17, 18), 60)).toEqual({ count: 2 });
    for (const seq of [17, 18, 21]) owed.clear(seq);
    expect(owed.size).toBe(0);
    expect(owed.appendable(group(41, 42), 60)).toEqual({ count: 2 });
  });

  it("does not hold back sequences below every debt (a late copy of something already recorded)", () => {
    const { owed } = tracker();
    owed.owe(16, 50, 0);
    expect(owed.appendable(group(5, 16, 17), 0)).toEqual({ count: 3 });
    expect(owed.appendable(group(5, 17), 0)).toMatchObject({ count: 1, blocker: { seq: 16 } });
  });

  it("refreshes a debt nak'ed again, and clears only what it holds", () => {
    const { owed } = tracker(1_000);
    owed.owe(7, 100, 0);
    owed.owe(7, 400, 200);
    expect(owed.size).toBe(1);
    expect(owed.appendable(group(8), 300)).toMatchObject({
      count: 0,
      blocker: { seq: 7, dueAtMs: 600, expiresAtMs: 1_600 },
    });
    owed.clear(99);
    expect(owed.size).toBe(1);
    // A server that may bring it back late (a consumer backoff) is waited for that much longer.
    owed.owe(7, 100, 1_000, 30_000);
    expect(owed.appendable(group(8), 1_000)).toMatchObject({
      blocker: { seq: 7, dueAtMs: 1_100, expiresAtMs: 32_100 },
    });
  });

  it("gives a debt up once it is past its due time by the wait limit, saying so", () => {
    const { owed, forgiven } = tracker(1_000);
    owed.owe(16, 50, 0);
    owed.owe(30, 2_000, 0);
    expect(owed.appendable(group(17), 1_049)).toMatchObject({ count: 0, blocker: { seq: 16 } });
    expect(forgiven).toEqual([]);
    // 16 is forgiven at 1,050 ms; 30 is still owed, so 31 waits and 17 goes.
    expect(owed.appendable(group(17, 31), 1_050)).toMatchObject({ count: 1, blocker: { seq: 30 } });
    expect(forgiven).toEqual([[16, "expired"]]);
    expect(owed.size).toBe(1);
  });

  it("keeps at most `capacity` debts, giving up the lowest ones first", () => {
    const { owed, forgiven } = tracker(1_000, 3);
    for (const seq of [5, 3, 4, 6, 7]) owed.owe(seq, 10, 0);
    expect(owed.size).toBe(3);
    expect(forgiven).toEqual([
      [3, "capacity"],
      [4, "capacity"],
    ]);
    expect(owed.appendable(group(5, 6, 7, 8), 0)).toEqual({ count: 4 });
  });

  it("refuses a capacity or wait it cannot keep", () => {
    expect(() => owedSequences({ waitMs: 10, capacity: 0 })).toThrow("capacity");
    expect(() => owedSequences({ waitMs: -1, capacity: 1 })).toThrow("waitMs");
  });
});
