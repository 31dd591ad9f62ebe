import { canonicalDigest, canonicalJson, Decimal, decodeCanonical } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENTRY_KINDS, type LedgerEntry } from "../ledger/types.js";
import { assembleStatement } from "./assemble.js";
import { canonicalStatement, canonicalStatementJson, statementDigest } from "./canonical.js";
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

describe("canonicalStatementJson", () => {
  const decimal = fc
    .tuple(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 6 }))
    .map(([units, places]) => new Decimal(units).div(new Decimal(10).pow(places)));
  const text = fc.string({ maxLength: 12, unit: "binary" });
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const arbEntry = fc.record({
    id: text,
    amount: decimal,
    kind: fc.constantFrom(...ENTRY_KINDS),
    period: text,
    businessDate: text,
    quotaPeriod: optional(text),
    dealId: optional(text),
    sourceEventIds: fc.array(fc.constantFrom("b", "a", "c", "é", "a"), { maxLength: 5 }),
    planId: optional(text),
    planVersion: optional(fc.integer({ min: 0, max: 1_000 })),
    component: optional(text),
    band: optional(text),
    inputs: fc.dictionary(text, text, { maxKeys: 6 }),
    arithmetic: text,
    explanation: text,
  });
  const arbStatement = fc.record({
    scale: fc.integer({ min: 0, max: 4 }),
    entries: fc.uniqueArray(arbEntry, { maxLength: 6, selector: (e) => e.id }),
    attainment: fc.array(
      fc.record({ quotaPeriod: text, credit: decimal, quota: optional(decimal), ratio: optional(decimal) }),
      { maxLength: 3 },
    ),
    plans: fc.array(fc.record({ planId: text, version: fc.integer({ min: 0, max: 9 }) }), { maxLength: 3 }),
    exceptionDeals: fc.array(optional(text), { maxLength: 3 }),
    drawDeficit: decimal,
    heldBack: decimal,
  });

  it("writes exactly the bytes of canonicalJson(canonicalStatement(s))", () => {
    fc.assert(
      fc.property(arbStatement, (g) => {
        const entries: LedgerEntry[] = g.entries.map((e) => ({
          id: e.id,
          repId: "r1",
          kind: e.kind,
          amount: e.amount,
          currency: "USD",
          period: e.period,
          businessDate: e.businessDate,
          ...(e.quotaPeriod === undefined ? {} : { quotaPeriod: e.quotaPeriod }),
          ...(e.dealId === undefined ? {} : { dealId: e.dealId }),
          trace: {
            sourceEventIds: e.sourceEventIds,
            positions: e.sourceEventIds.map((_, i) => i),
            ...(e.planId === undefined ? {} : { planId: e.planId }),
            ...(e.planVersion === undefined ? {} : { planVersion: e.planVersion }),
            ...(e.component === undefined ? {} : { component: e.component }),
            ...(e.band === undefined ? {} : { band: e.band }),
            inputs: e.inputs,
            arithmetic: e.arithmetic,
            explanation: e.explanation,
          },
        }));
        const s = statement(entries, {
          scale: g.scale,
          plans: g.plans,
          attainment: g.attainment.map((a) => ({
            quotaPeriod: a.quotaPeriod,
            credit: a.credit,
            ...(a.quota === undefined ? {} : { quota: a.quota }),
            ...(a.ratio === undefined ? {} : { ratio: a.ratio }),
          })),
          openingBalance: { drawDeficit: g.drawDeficit, heldBack: g.heldBack },
          exceptions: g.exceptionDeals.map((dealId, i) => ({
            code: "unknown_deal",
            repId: "r1",
            ...(dealId === undefined ? {} : { dealId }),
            message: `m${i % 2}`,
            sourceEventIds: ["z", "y"],
            positions: [1, 2],
          })),
        });
        const generic = canonicalJson(canonicalStatement(s));
        expect(canonicalStatementJson(s)).toBe(generic);
        expect(statementDigest(s)).toBe(canonicalDigest(canonicalStatement(s)));
      }),
      { numRuns: 200 },
    );
  });

  it("digests a statement larger than one hash chunk exactly like the generic path", () => {
    const long = "Overlay → 😀 «credit» ".repeat(40);
    const entries = Array.from({ length: 400 }, (_, i) =>
      entry(`e${i}`, `${i}.5`, { trace: { ...entry("x", "0").trace, explanation: `${long}${i}` } }),
    );
    const s = statement(entries);
    expect(canonicalStatementJson(s).length).toBeGreaterThan(3 * 64 * 1024);
    expect(statementDigest(s)).toBe(canonicalDigest(canonicalStatement(s)));
  });

  it("digests an entry longer than the whole hash buffer, between short ones, like the generic path", () => {
    const huge = "Überweisung → 😀 ".repeat(5_000); // ~85,000 UTF-16 units, multi-byte UTF-8
    const entries = [
      entry("a", "1"),
      entry("b", "2", { trace: { ...entry("x", "0").trace, explanation: huge } }),
      entry("c", "3"),
    ];
    const s = statement(entries);
    expect(canonicalStatementJson(s).length).toBeGreaterThan(85_000);
    expect(statementDigest(s)).toBe(canonicalDigest(canonicalStatement(s)));
  });

  it("writes inputs of more shapes than it remembers in sorted key order", () => {
    // More key shapes than the shape memo holds, interleaved, so shapes are evicted and met again.
    const entries = Array.from({ length: 40 }, (_, i) => {
      const inputs: Record<string, string> = {};
      for (let k = (i * 7) % 13; k >= 0; k -= 1) inputs[`k${(k * 5 + i) % 11}"\u00e9${k}`] = `v${k}`;
      return entry(`e${i}`, `${i}`, { trace: { ...entry("x", "0").trace, inputs } });
    });
    const s = statement(entries);
    expect(canonicalStatementJson(s)).toBe(canonicalJson(canonicalStatement(s)));
    expect(statementDigest(s)).toBe(canonicalDigest(canonicalStatement(s)));
  });

  it("keeps an input named __proto__ in both encodings (fast-check seed -719555676)", () => {
    const inputs = JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, string>;
    const s = statement([entry("a", "1", { trace: { ...entry("x", "0").trace, inputs } })]);
    expect(canonicalStatementJson(s)).toContain('"inputs":{"__proto__":"x","a":"1"}');
    expect(canonicalStatementJson(s)).toBe(canonicalJson(canonicalStatement(s)));
    expect(statementDigest(s)).toBe(canonicalDigest(canonicalStatement(s)));
  });

  it("writes negative zero amounts without a sign, like formatDecimal", () => {
    const s = statement([entry("a", "-0"), entry("b", "-0.001")]);
    expect(canonicalStatementJson(s)).toBe(canonicalJson(canonicalStatement(s)));
    expect(canonicalStatementJson(s)).toContain('"amount":"0.00"');
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
