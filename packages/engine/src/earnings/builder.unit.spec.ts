import { Decimal } from "@icm/events";
import { describe, expect, it } from "vitest";
import { DEFAULT_CALENDAR, parsePeriodId } from "../calendar/index.js";
import type { CompiledPlan } from "../facts/index.js";
import { EarningsBuilder, type LineSpec } from "./builder.js";

// Only what `line` reads of a plan.
const plan = {
  planId: "plan-a",
  version: 2,
  currency: "USD",
  payoutPeriod: "month",
  rounding: { scale: 2, mode: "HALF_EVEN" },
} as unknown as CompiledPlan;

const spec = (over: Partial<LineSpec>): LineSpec => ({
  kind: "earning",
  amount: new Decimal("10.005"),
  plan,
  sourceKey: "deal:D-1",
  businessDate: "2026-02-10",
  sources: [
    { eventId: "e2", position: 7 },
    { eventId: "e1", position: 3 },
    { eventId: "e2", position: 7 },
  ],
  inputs: { a: "1" },
  arithmetic: "1 × 10",
  explanation: "why",
  ...over,
});

/** Every key a line can have, in the order the API has always shown them. */
const LINE_KEYS = [
  "id",
  "repId",
  "kind",
  "amount",
  "currency",
  "period",
  "quotaPeriod",
  "businessDate",
  "dealId",
  "trace",
];
const TRACE_KEYS = [
  "sourceEventIds",
  "positions",
  "planId",
  "planVersion",
  "component",
  "band",
  "inputs",
  "arithmetic",
  "explanation",
];
const without = (keys: readonly string[], ...absent: string[]) => keys.filter((k) => !absent.includes(k));

describe("EarningsBuilder.line", () => {
  // Lines are built a property at a time (see Mutable in ledger/types.ts): the keys keep the order the API
  // has always shown, and an optional key is absent when it has no value, never present as undefined.
  it("writes every key, in the statement's order, when the line has a deal, component and band", () => {
    const builder = new EarningsBuilder(
      "rep-1",
      parsePeriodId(DEFAULT_CALENDAR, "2026-Q1"),
      DEFAULT_CALENDAR,
    );
    const entry = builder.line(spec({ dealId: "D-1", component: "c", band: "0–100% @ 10%" }));
    expect(entry).toStrictEqual({
      id: "rep-1/2026-Q1/c/deal:D-1/earning",
      repId: "rep-1",
      kind: "earning",
      amount: new Decimal("10.00"),
      currency: "USD",
      period: "2026-02",
      quotaPeriod: "2026-Q1",
      businessDate: "2026-02-10",
      dealId: "D-1",
      trace: {
        sourceEventIds: ["e1", "e2"],
        positions: [3, 7],
        planId: "plan-a",
        planVersion: 2,
        component: "c",
        band: "0–100% @ 10%",
        inputs: { a: "1" },
        arithmetic: "1 × 10",
        explanation: "why",
      },
    });
    expect(Object.keys(entry)).toEqual(LINE_KEYS);
    expect(Object.keys(entry.trace)).toEqual(TRACE_KEYS);
  });

  it("leaves the deal, component and band out when the line has none", () => {
    const builder = new EarningsBuilder(
      "rep-1",
      parsePeriodId(DEFAULT_CALENDAR, "2026-Q1"),
      DEFAULT_CALENDAR,
    );
    const entry = builder.line(spec({ kind: "adjustment", sourceKey: "adj:A-1" }));
    expect(entry.id).toBe("rep-1/2026-Q1/-/adj:A-1/adjustment");
    expect(Object.keys(entry)).toEqual(without(LINE_KEYS, "dealId"));
    expect(Object.keys(entry.trace)).toEqual(without(TRACE_KEYS, "component", "band"));
  });
});
