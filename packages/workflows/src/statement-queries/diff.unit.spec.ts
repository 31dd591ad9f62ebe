import type { RecordedDomainEvent } from "@icm/engine";
import { describe, expect, it } from "vitest";
import { deal, ev } from "../testing/history.js";
import { statementOf } from "../testing/statements.js";
import { diffStatements } from "./diff.js";

describe("statement diff", () => {
  const at = (globalPosition: number, event: RecordedDomainEvent["event"]): RecordedDomainEvent => ({
    globalPosition,
    event,
  });

  it("matches lines by id: added, removed and changed, each with the late events behind it", () => {
    const before = statementOf("ana", "USD", [
      { kind: "earning", minor: 600000, dealId: "D1" },
      { kind: "earning", minor: 850000, dealId: "D2" },
    ]);
    const after = statementOf("ana", "USD", [
      { kind: "earning", minor: 600000, dealId: "D1" },
      { kind: "earning", minor: 700000, dealId: "D2" },
      { kind: "bonus", minor: 100000, dealId: "D3" },
    ]);
    const between = [
      at(7, ev("DealAmended", "amend-D2", { dealId: "D2", amount: "56000.00", reason: "discount" })),
      at(8, deal("D3", "1000.00", "2026-02-01")),
      at(9, deal("Z9", "1000.00", "2026-02-01", "zoe")),
    ];
    const diff = diffStatements(before, after, between, { from: 6, to: 9 });
    expect(diff.changes.map((c) => [c.change, c.dealId, c.before, c.after, c.delta])).toEqual([
      ["changed", "D2", "8500.00", "7000.00", "-1500.00"],
      ["added", "D3", undefined, "1000.00", "1000.00"],
    ]);
    expect(diff.changes[0]?.causes.map((c) => c.eventId)).toEqual(["amend-D2"]);
    expect(diff.changes[1]?.causes.map((c) => c.eventId)).toEqual(["deal-D3"]);
    // Zoe's deal is not about Ana: not listed.
    expect(diff.events.map((e) => e.eventId)).toEqual(["amend-D2", "deal-D3"]);
    expect([diff.payableBefore, diff.payableAfter, diff.payableDelta]).toEqual([
      "14500.00",
      "14000.00",
      "-500.00",
    ]);
  });

  it("a cancellation is the cause of the lines it removes", () => {
    const before = statementOf("ana", "USD", [{ kind: "earning", minor: 900000, dealId: "D3" }]);
    const after = statementOf("ana", "USD", []);
    const cancel = at(
      12,
      ev("DealCancelled", "cancel-D3", { dealId: "D3", cancelDate: "2026-03-20", reason: "dup" }),
    );
    const diff = diffStatements(before, after, [cancel], { from: 11, to: 12 });
    expect(diff.changes).toEqual([
      expect.objectContaining({
        change: "removed",
        before: "9000.00",
        delta: "-9000.00",
        causes: [{ eventId: "cancel-D3", type: "DealCancelled", position: 12 }],
      }),
    ]);
  });
});
