import { Decimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KINDS, statementOf } from "../testing/statements.js";
import { payrollCsv } from "./payroll.js";
import { currencyTotals } from "./summary.js";

// The payroll file is arithmetic finance relies on: laws over arbitrary statements, plus one fixed example.

const lineArb = fc.record({
  kind: fc.constantFrom(...KINDS),
  minor: fc.integer({ min: -10_000_000, max: 10_000_000 }),
});
const statementsArb = fc
  .uniqueArray(
    fc.record({
      repId: fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/),
      currency: fc.constantFrom("USD", "EUR", "JPY", "BHD"),
      lines: fc.array(lineArb, { maxLength: 6 }),
    }),
    { selector: (s) => s.repId, maxLength: 8 },
  )
  .map((list) => list.map((s) => statementOf(s.repId, s.currency, s.lines)));

const parse = (csv: string) => {
  const [header, ...rows] = csv
    .trimEnd()
    .split("\n")
    .map((l) => l.split(","));
  return { header: header ?? [], rows };
};

describe("payroll CSV", () => {
  it("law: every row's payable is the sum of its kind columns", () => {
    fc.assert(
      fc.property(statementsArb, (statements) => {
        for (const row of parse(payrollCsv(statements)).rows) {
          const sum = row.slice(3).reduce((acc, x) => acc.plus(x), new Decimal(0));
          expect(sum.equals(new Decimal(row[2] ?? "NaN"))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("law: one TOTAL row per currency equal to the statements' payables, to the minor unit", () => {
    fc.assert(
      fc.property(statementsArb, (statements) => {
        const { rows } = parse(payrollCsv(statements));
        const totals = rows.filter((r) => r[0] === "TOTAL").map((r) => ({ currency: r[1], payable: r[2] }));
        expect(totals).toEqual(
          currencyTotals(statements).map((t) => ({ currency: t.currency, payable: t.payable })),
        );
        for (const t of totals) {
          const sum = statements
            .filter((s) => s.currency === t.currency)
            .reduce((acc, s) => acc.plus(s.payable), new Decimal(0));
          expect(new Decimal(t.payable ?? "NaN").equals(sum)).toBe(true);
        }
        expect(rows.filter((r) => r[0] !== "TOTAL").map((r) => r[0])).toEqual(
          statements.map((s) => s.repId).sort(),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("formats each currency at its minor unit and lists only kinds that occur", () => {
    const csv = payrollCsv([
      statementOf("ben", "JPY", [{ kind: "earning", minor: 120000 }]),
      statementOf("ana", "USD", [
        { kind: "earning", minor: 650000 },
        { kind: "clawback", minor: -100001 },
      ]),
    ]);
    expect(csv).toBe(
      [
        "rep,currency,payable,earning,clawback",
        "ana,USD,5499.99,6500.00,-1000.01",
        "ben,JPY,120000,120000,0",
        "TOTAL,JPY,120000,120000,0",
        "TOTAL,USD,5499.99,6500.00,-1000.01",
        "",
      ].join("\n"),
    );
  });
});
