import { describe, expect, it } from "vitest";
import { quotaPeriodsOf } from "../earnings/index.js";
import { lines, planDefinition, Scenario, section8Table } from "../earnings/testing.js";

function scenario() {
  const s = new Scenario();
  s.given(
    s.rep("ana", { managerId: "max" }),
    s.rep("max"),
    s.plan("p", planDefinition([section8Table("marginal")])),
    s.plan("m", planDefinition([{ kind: "overlay", id: "o", name: "Overlay", rate: "0.01" }])),
    s.assign("ana", "p"),
    s.assign("max", "m"),
    s.quota("ana", "2026-Q1", "100000"),
  );
  return s;
}

describe("Facts", () => {
  it("applies each event id once and refuses positions that go backwards", () => {
    const s = scenario();
    const deal = s.deal("D1", "100", "2026-01-10");
    s.facts.apply({ globalPosition: 100, event: deal });
    s.facts.apply({ globalPosition: 101, event: deal });
    expect(s.facts.lastPosition).toBe(100);
    expect(() => s.facts.apply({ globalPosition: 100, event: s.deal("D2", "1", "2026-01-10") })).toThrow(
      /must be after 100/,
    );
  });

  it("answers as of a position: later facts are ignored (the auditor's 'as of P')", () => {
    const s = scenario();
    s.given(s.deal("D1", "60000", "2026-01-10"));
    const p = s.at;
    s.given(s.deal("D2", "70000", "2026-01-05"), s.cancel("D1", "2026-01-20"));
    expect(lines(s.when("ana", "2026-Q1", p))).toEqual(["earning:D1=6000"]);
    expect(lines(s.when("ana", "2026-Q1"))).toEqual(["earning:D2=7000", "earning:D1=7500"]);
    expect(s.facts.deal("D1", p)?.cancellation).toBeUndefined();
    expect(s.facts.deal("D1")?.cancellation?.cancelDate).toBe("2026-01-20");
    expect(s.facts.rep("ana", 0)).toBeUndefined();
  });

  it("hands out a deal's state as of each position: the DealClosed alone, then amended, then cancelled", () => {
    const s = scenario();
    s.given(s.deal("D1", "100", "2026-01-10", { margin: "40" }));
    const closed = s.at;
    s.given(s.amend("D1", { amount: "150" }));
    const amended = s.at;
    s.given(s.cancel("D1", "2026-02-01"));
    const refs = (at: number) =>
      s.facts.deal("D1", at)?.sources.map((r) => ({ eventId: r.eventId, position: r.position }));
    const only = s.facts.deal("D1", closed);
    expect(only).toMatchObject({ dealId: "D1", currency: "USD", closeDate: "2026-01-10" });
    expect(only?.cancellation).toBeUndefined();
    expect(only?.amount.toFixed()).toBe("100");
    expect(only?.margin?.toFixed()).toBe("40");
    expect(only?.customer).toBeUndefined();
    expect(only?.splits.map((x) => [x.repId, x.share.toFixed()])).toEqual([["ana", "1"]]);
    expect(refs(closed)).toEqual([{ eventId: only?.sources[0]?.eventId, position: closed }]);
    // The same answer every time it is asked, and the later versions do not change it.
    expect(s.facts.deal("D1", closed)).toBe(only);
    const later = s.facts.deal("D1", amended);
    expect(later?.amount.toFixed()).toBe("150");
    expect(later?.margin?.toFixed()).toBe("40");
    expect(later?.cancellation).toBeUndefined();
    expect(refs(amended)?.map((r) => r.position)).toEqual([closed, amended]);
    expect(s.facts.deal("D1")?.cancellation?.cancelDate).toBe("2026-02-01");
    expect(refs(s.at)?.map((r) => r.position)).toEqual([closed, amended]);
    expect(s.facts.deal("D1", closed)?.amount.toFixed()).toBe("100");
    // A deal closed once and cancelled: no longer its DealClosed alone.
    s.given(s.deal("D2", "80", "2026-01-11"));
    const beforeCancel = s.at;
    s.given(s.cancel("D2", "2026-01-30"));
    expect(s.facts.deal("D2")?.cancellation?.cancelDate).toBe("2026-01-30");
    expect(s.facts.deal("D2", beforeCancel)?.cancellation).toBeUndefined();
  });

  it("places an instant in the company time zone", () => {
    const s = scenario();
    s.given(s.calendar("America/New_York"), s.deal("D1", "100", "2026-04-01T02:30:00Z"));
    // 22:30 on 31 March in New York: first quarter.
    expect(s.when("ana", "2026-Q1").attainment.credit.toFixed()).toBe("100");
    expect(s.when("ana", "2026-Q2").attainment.credit.toFixed()).toBe("0");
    expect(quotaPeriodsOf(s.facts, "ana")).toEqual(["2026-Q1"]);
  });

  it("lists reps sorted, from onboarding and from splits", () => {
    const s = scenario();
    s.given(
      s.deal("D1", "100", "2026-01-10", {
        splits: [
          ["zed", "0.5"],
          ["ana", "0.5"],
        ],
      }),
    );
    expect(s.facts.repIds()).toEqual(["ana", "max", "zed"]);
  });

  it("revisionOf moves only for facts that can affect the rep and period", () => {
    const s = scenario();
    const q1 = s.facts.revisionOf("ana", "2026-Q1");
    const q3 = s.facts.revisionOf("ana", "2026-Q3");
    const bob = s.facts.revisionOf("max", "2026-Q1");
    s.given(s.deal("D1", "100", "2026-02-10"));
    expect(s.facts.revisionOf("ana", "2026-Q1")).toBeGreaterThan(q1);
    // The manager's overlay depends on it too; a later period of the year may (year-to-date plans).
    expect(s.facts.revisionOf("max", "2026-Q1")).toBeGreaterThan(bob);
    expect(s.facts.revisionOf("ana", "2026-Q3")).toBeGreaterThan(q3);
    const q1Again = s.facts.revisionOf("ana", "2026-Q1");
    s.given(s.deal("D2", "100", "2026-08-10"));
    expect(s.facts.revisionOf("ana", "2026-Q1")).toBe(q1Again);
  });

  it("affectedBy names the rep's and the managers' quota periods, old and new, for an amended deal", () => {
    const s = scenario();
    s.given(s.deal("D1", "100", "2026-02-10"));
    const amend = s.amend("D1", { closeDate: "2026-05-02" });
    s.given(amend);
    const affected = s.facts.affectedBy({ globalPosition: s.at, event: amend });
    expect(affected).toEqual([
      { repId: "ana", quotaPeriod: "2026-Q1" },
      { repId: "ana", quotaPeriod: "2026-Q2" },
      { repId: "max", quotaPeriod: "2026-Q1" },
      { repId: "max", quotaPeriod: "2026-Q2" },
    ]);
  });

  it("keeps payments, disputes and closes as of a position", () => {
    const s = scenario();
    s.given(s.deal("D1", "100", "2026-01-10"));
    s.given({
      eventId: "pay-1",
      type: "PaymentReceived",
      schemaVersion: 1,
      data: { paymentId: "P1", dealId: "D1", amount: "40", currency: "USD", receivedDate: "2026-02-01" },
      metadata: {},
    });
    const afterPayment = s.at;
    s.given({
      eventId: "dispute-1",
      type: "DisputeRaised",
      schemaVersion: 1,
      data: { disputeId: "X1", repId: "ana", period: "2026-01", reason: "missing deal", raisedBy: "ana" },
      metadata: {},
    });
    const raised = s.at;
    s.given({
      eventId: "dispute-1-resolved",
      type: "DisputeResolved",
      schemaVersion: 1,
      data: { disputeId: "X1", resolution: "added", resolvedBy: "ops" },
      metadata: {},
    });
    expect(s.facts.paymentsFor("D1").map((p) => p.amount.toFixed())).toEqual(["40"]);
    expect(s.facts.paymentsFor("D1", afterPayment - 1)).toEqual([]);
    expect(s.facts.openDisputes("ana", raised).map((d) => d.disputeId)).toEqual(["X1"]);
    expect(s.facts.openDisputes("ana")).toEqual([]);
    expect(s.facts.closes()).toEqual([]);
  });

  it("quotaPeriodsOf includes a manager's periods with reports' deals when the plan has an overlay", () => {
    const s = scenario();
    s.given(s.deal("D1", "100", "2026-02-10"), s.adjustment("A1", "ana", "2026-07", "10", false));
    expect(quotaPeriodsOf(s.facts, "max")).toEqual(["2026-Q1"]);
    expect(quotaPeriodsOf(s.facts, "ana")).toEqual(["2026-Q1", "2026-Q3"]);
  });

  it("affectedBy lists the later quota periods of the year for a year-to-date plan", () => {
    const s = new Scenario();
    s.given(
      s.rep("ana"),
      s.plan("y", planDefinition([section8Table("marginal")], { cumulative: "ytd" })),
      s.assign("ana", "y"),
      s.deal("D2", "100", "2026-05-10"),
      s.deal("D3", "100", "2026-08-10"),
      s.deal("D9", "100", "2027-02-10"),
    );
    const late = s.deal("D1", "100", "2026-02-10");
    s.given(late);
    expect(s.facts.affectedBy({ globalPosition: s.at, event: late }).map((a) => a.quotaPeriod)).toEqual([
      "2026-Q1",
      "2026-Q2",
      "2026-Q3",
    ]);
  });

  it("affectedBy lists a manager's overlay periods from the date of a hierarchy change", () => {
    const s = scenario();
    s.given(s.deal("D1", "100", "2026-02-10"), s.deal("D2", "100", "2026-05-10"));
    const move = s.manager("ana", null, "2026-04-01");
    s.given(move);
    expect(s.facts.affectedBy({ globalPosition: s.at, event: move })).toEqual([
      { repId: "max", quotaPeriod: "2026-Q2" },
    ]);
  });

  it("a result as of a position equals the result of replaying only the events up to it", () => {
    const events = (s: Scenario) => [
      s.deal("D1", "60000", "2026-01-10"),
      s.adjustment("A1", "ana", "2026-01", "5000", true),
      s.deal("D2", "70000", "2026-02-10"),
    ];
    const full = scenario();
    full.given(...events(full));
    const p = full.at;
    const first = full.when("ana", "2026-Q1", p);
    full.given(
      full.deal("D3", "10", "2026-01-01"),
      full.amend("D1", { amount: "1" }),
      full.quota("ana", "2026-Q1", "5"),
    );
    const replay = scenario();
    replay.given(...events(replay));
    expect(full.when("ana", "2026-Q1", p)).toEqual(first);
    expect(replay.when("ana", "2026-Q1")).toEqual(first);
    expect(full.when("ana", "2026-Q1")).not.toEqual(first);
  });
});
