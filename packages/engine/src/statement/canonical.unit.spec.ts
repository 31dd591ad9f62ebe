import { canonicalJson, Decimal, decodeCanonical } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENTRY_KINDS, type LedgerEntry } from "../ledger/types.js";
import { assembleStatement } from "./assemble.js";
import { canonicalStatement, statementDigest } from "./canonical.js";
import { explainEntry } from "./explain.js";
import type { Statement } from "./types.js";

const d = (s: string | number) => new Decimal(s);
function entry(id: string, amount: string, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id,
    repId: "r1",
    kind: "earning",
    amount: d(amount),
    currency: "USD",
    period: "2026-03",
    businessDate: "2026-03-10",
    dealId: "D1",
    trace: {
      sourceEventIds: ["deal-D1", "plan-p"],
      positions: [7, 2],
      planId: "p",
      planVersion: 1,
      component: "commission",
      band: "0%–100% @ 10%",
      inputs: { credit: "60000", rate: "0.10" },
      arithmetic: "60,000 × 10% = 6,000",
      explanation: "Deal D1: 60,000 credit",
    },
    ...over,
  };
}
function statement(entries: LedgerEntry[], over: Partial<Statement> = {}): Statement {
  return assembleStatement({
    repId: "r1",
    period: "2026-03",
    currency: "USD",
    scale: 2,
    throughPosition: 12,
    plans: [{ planId: "p", version: 1 }],
    openingBalance: { drawDeficit: d(100), heldBack: d(0) },
    entries,
    attainment: [{ quotaPeriod: "2026-Q1", credit: d(60000), quota: d(100000), ratio: d("0.6") }],
    exceptions: [],
    drawDeficitClosing: d(100),
    ...over,
  });
}

describe("assembleStatement", () => {
  it("payable is the sum of every line, totals cover every kind, held-back balance moves with holdbacks", () => {
    const s = statement([
      entry("a", "6000"),
      entry("h", "-600", { kind: "holdback" }),
      entry("r", "200", { kind: "holdback_release" }),
      entry("x", "-50", { kind: "adjustment", dealId: undefined as never }),
    ]);
    expect(s.payable.toFixed(2)).toBe("5550.00");
    expect(Object.keys(s.totals).sort()).toEqual([...ENTRY_KINDS].sort());
    expect(s.totals.holdback.toFixed(2)).toBe("-600.00");
    expect(s.closingBalance.heldBack.toFixed(2)).toBe("400.00");
    expect(s.closingBalance.drawDeficit.toFixed(2)).toBe("100.00");
  });

  it("rejects duplicate entry ids and foreign entries", () => {
    expect(() => statement([entry("a", "1"), entry("a", "2")])).toThrow(/duplicate/);
    expect(() => statement([entry("a", "1", { repId: "r2" })])).toThrow(/belongs to/);
  });
});

describe("statement digest", () => {
  it("is stable: equal statements give equal bytes, and positions do not enter it", () => {
    const a = statement([entry("a", "6000"), entry("b", "8500")]);
    const b = statement(
      [
        entry("a", "6000.000"),
        entry("b", "8500", { trace: { ...entry("b", "0").trace, positions: [99, 98] } }),
      ],
      {
        throughPosition: 400,
      },
    );
    expect(statementDigest(a)).toBe(statementDigest(b));
    expect(statementDigest(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("canonical form is plain JSON with money at the plan scale", () => {
    const c = canonicalStatement(statement([entry("a", "6000")]));
    expect(decodeCanonical(canonicalJson(c))).toEqual(c);
    expect(c.payable).toBe("6000.00");
    expect((c.attainment as { ratio: string }[])[0]?.ratio).toBe("0.600000");
  });

  it("any change in an entry changes the digest", () => {
    const original = [entry("a", "6000"), entry("b", "8500", { dealId: "D2" })];
    const digest = statementDigest(statement(original));
    const mutations: ((e: LedgerEntry) => LedgerEntry)[] = [
      (e) => ({ ...e, amount: e.amount.plus("0.01") }),
      (e) => ({ ...e, id: `${e.id}x` }),
      (e) => ({ ...e, kind: "spiff" }),
      (e) => ({ ...e, period: "2026-04" }),
      (e) => ({ ...e, businessDate: "2026-03-11" }),
      (e) => ({ ...e, dealId: "D9" }),
      (e) => ({ ...e, currency: "EUR" }),
      (e) => ({ ...e, trace: { ...e.trace, explanation: `${e.trace.explanation}.` } }),
      (e) => ({ ...e, trace: { ...e.trace, arithmetic: `${e.trace.arithmetic} ` } }),
      (e) => ({ ...e, trace: { ...e.trace, band: "other" } }),
      (e) => ({ ...e, trace: { ...e.trace, planVersion: 2 } }),
      (e) => ({ ...e, trace: { ...e.trace, sourceEventIds: [...e.trace.sourceEventIds, "late"] } }),
      (e) => ({ ...e, trace: { ...e.trace, inputs: { ...e.trace.inputs, rate: "0.11" } } }),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: original.length - 1 }),
        fc.integer({ min: 0, max: mutations.length - 1 }),
        (index, m) => {
          const changed = original.map((e, i) =>
            i === index ? (mutations[m] as (e: LedgerEntry) => LedgerEntry)(e) : e,
          );
          expect(statementDigest(statement(changed))).not.toBe(digest);
        },
      ),
      { numRuns: 200 },
    );
    // Reordering entries is a change too: the statement order is part of what the rep sees.
    expect(statementDigest(statement([...original].reverse()))).not.toBe(digest);
  });
});

describe("explainEntry", () => {
  it("explains a line with its arithmetic and sources", () => {
    const s = statement([entry("a", "6000")]);
    const x = explainEntry(s, "a");
    expect(x?.amount).toBe("6000.00");
    expect(x?.text).toContain("60,000 × 10% = 6,000");
    expect(x?.text).toContain("deal-D1@7");
    expect(explainEntry(s, "missing")).toBeUndefined();
  });
});
