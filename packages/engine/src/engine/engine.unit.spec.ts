import { type Decimal, EventValidationError } from "@icm/events";
import { describe, expect, it } from "vitest";
import { parsePeriodId } from "../calendar/index.js";
import { periodExceptions as stageOneExceptions } from "../earnings/index.js";
import { planDefinition, section8Table } from "../earnings/testing.js";
import { Scenario } from "../examples/scenario.js";
import type { PlanDefinition } from "../plan/index.js";
import { SECTION_8_PLAN } from "../plan/index.js";
import { explainEntry, statementDigest } from "../statement/index.js";
import { Engine } from "./engine.js";
import { periodExceptionsFrom } from "./exceptions.js";

const money = (d: Decimal) => d.toFixed(2);

function team(plan: PlanDefinition = SECTION_8_PLAN): Scenario {
  const s = new Scenario();
  s.plan("p8", plan);
  for (const rep of ["ana", "bo"]) {
    s.rep(rep);
    s.assign(rep, "p8");
    s.quota(rep, "2026-Q1", "100000.00");
  }
  s.deal("D1", "60000.00", "2026-01-15", [{ repId: "ana", share: "1" }]);
  s.deal("B1", "10000.00", "2026-01-20", [{ repId: "bo", share: "1" }]);
  return s;
}

/** Plan "rep" (the section 8 table) and plan "mgr" (the same table and a 2 % overlay on reports' deals). */
function publishRepAndManagerPlans(s: Scenario): void {
  s.plan("rep", planDefinition([section8Table("marginal")]));
  s.plan(
    "mgr",
    planDefinition([
      section8Table("marginal"),
      { kind: "overlay", id: "overlay", name: "Team overlay", rate: "0.02" },
    ]),
  );
}

/** The scenario engine's (maybe cached) statement, checked against a fresh engine over the same log. */
function asFresh(s: Scenario, repId: string, period: string) {
  const statement = s.engine.statement(repId, period);
  const fresh = new Engine();
  fresh.applyAll(s.log);
  expect(statementDigest(statement)).toBe(statementDigest(fresh.statement(repId, period)));
  return statement;
}

describe("Engine", () => {
  it("is incremental: a deal for one rep leaves another rep's cached statement untouched", () => {
    const s = team();
    const boBefore = s.engine.statement("bo", "2026-02");
    const anaBefore = s.engine.statement("ana", "2026-02");
    s.deal("D2", "70000.00", "2026-02-10", [{ repId: "ana", share: "1" }]);
    const boAfter = s.engine.statement("bo", "2026-02");
    const anaAfter = s.engine.statement("ana", "2026-02");
    expect(boAfter.entries).toBe(boBefore.entries); // same cached lines, not recomputed
    expect(boAfter.throughPosition).toBe(s.position);
    expect(anaAfter.entries).not.toBe(anaBefore.entries);
    expect(money(anaAfter.payable)).toBe("8500.00");
  });

  it("drops a cached statement that a payment reaches only through its own month (deal closed the year before)", () => {
    const s = new Scenario();
    s.plan("p8", { ...SECTION_8_PLAN, paymentTiming: { kind: "on_collection" } });
    s.rep("ana");
    s.assign("ana", "p8");
    s.quota("ana", "2025-Q4", "100000.00");
    // November 2025 lies outside the months a 2026-03 statement's revision looks at.
    s.deal("D1", "60000.00", "2025-11-20", [{ repId: "ana", share: "1" }]);
    const before = s.engine.statement("ana", "2026-03");
    expect(money(before.payable)).toBe("0.00");
    s.add("PaymentReceived", "pay-D1", {
      paymentId: "P-1",
      dealId: "D1",
      amount: "60000.00",
      currency: "USD",
      receivedDate: "2026-03-10",
    });
    const after = asFresh(s, "ana", "2026-03");
    expect(after.payable.gt(0)).toBe(true);
  });

  it("drops a cached statement when a rate of a currency the rep has deals in is published", () => {
    const s = new Scenario();
    s.plan("p8", SECTION_8_PLAN);
    s.rep("ana");
    s.assign("ana", "p8");
    s.quota("ana", "2026-Q1", "100000.00");
    s.deal("D1", "50000.00", "2026-02-10", [{ repId: "ana", share: "1" }], "EUR");
    const before = s.engine.statement("ana", "2026-02");
    s.add("FxRatePublished", "fx-eur-usd", {
      base: "EUR",
      quote: "USD",
      rate: "1.10",
      effectiveDate: "2026-01-01",
    });
    const after = asFresh(s, "ana", "2026-02");
    expect(statementDigest(after)).not.toBe(statementDigest(before));
  });

  it("drops a manager's cached statement when a report who moved to them closes a deal", () => {
    const s = new Scenario();
    publishRepAndManagerPlans(s);
    s.rep("m1");
    s.rep("m2");
    s.rep("ana", "2025-01-01", "USD", "m1");
    for (const manager of ["m1", "m2"]) s.assign(manager, "mgr");
    s.assign("ana", "rep");
    for (const rep of ["ana", "m1", "m2"]) s.quota(rep, "2026-Q1", "50000.00");
    // Ana's deal events touch ana and the managers above her, as they stand: m1 here, m2 after the move.
    s.deal("D1", "30000.00", "2026-01-10", [{ repId: "ana", share: "1" }]);
    s.add("RepManagerChanged", "move-ana", { repId: "ana", managerId: "m2", effectiveDate: "2026-02-01" });
    const before = s.engine.statement("m2", "2026-02");
    s.deal("D2", "40000.00", "2026-02-10", [{ repId: "ana", share: "1" }]);
    const after = asFresh(s, "m2", "2026-02");
    expect(after.entries.some((e) => e.kind === "overlay" && e.dealId === "D2")).toBe(true);
    expect(statementDigest(after)).not.toBe(statementDigest(before));
  });

  it("answers 'as of' a past position exactly like a fresh engine over that prefix", () => {
    const s = team();
    const asOf = s.position;
    s.deal("D2", "70000.00", "2026-02-10", [{ repId: "ana", share: "1" }]);
    const fresh = new Engine();
    fresh.applyAll(s.log.slice(0, asOf));
    const past = s.engine.statement("ana", "2026-02", { throughPosition: asOf });
    expect(past.throughPosition).toBe(asOf);
    expect(statementDigest(past)).toBe(statementDigest(fresh.statement("ana", "2026-02")));
    expect(money(past.payable)).toBe("0.00");
  });

  it("without its log (keepLog: false) gives the same statements and refuses what-if", () => {
    const s = team();
    s.deal("D2", "70000.00", "2026-02-10", [{ repId: "ana", share: "1" }]);
    const lean = new Engine({ keepLog: false });
    lean.applyAll(s.log);
    for (const rep of ["ana", "bo"])
      for (const period of ["2026-01", "2026-02", "2026-03"])
        expect(statementDigest(lean.statement(rep, period))).toBe(
          statementDigest(s.engine.statement(rep, period)),
        );
    const deal = {
      amount: "1000.00",
      currency: "USD",
      closeDate: "2026-02-11",
      product: "Widget",
      dealType: "new",
    };
    expect(() => lean.whatIf("ana", deal)).toThrow(/keepLog: false/);
    expect(s.engine.whatIf("ana", deal).periods).toEqual(["2026-02"]);
    expect(() => lean.recordedBetween(0, s.position)).toThrow(/keepLog: false/);
  });

  it("recordedBetween gives the applied events in (after, through], as a scan of the log would, duplicates once", () => {
    const s = team();
    s.deal("D2", "70000.00", "2026-02-10", [{ repId: "ana", share: "1" }]);
    // Applied again: the engine ignores a duplicate event id, so it is listed once.
    s.engine.apply({ globalPosition: s.position + 10, event: (s.log[3] as (typeof s.log)[number]).event });
    const last = s.position;
    for (let after = -1; after <= last + 1; after += 1)
      for (let through = after; through <= last + 1; through += 1)
        expect(s.engine.recordedBetween(after, through)).toEqual(
          s.log.filter((r) => r.globalPosition > after && r.globalPosition <= through),
        );
    expect(s.engine.recordedBetween(last, last + 100)).toEqual([]);
  });

  it("whatIf simulates a deal on a copy and records nothing", () => {
    const s = team();
    const before = statementDigest(s.engine.statement("ana", "2026-02"));
    const result = s.engine.whatIf("ana", {
      amount: "70000.00",
      currency: "USD",
      closeDate: "2026-02-10",
      product: "Widget",
      dealType: "new",
    });
    expect(money(result.payableDelta)).toBe("8500.00");
    expect(result.periods).toEqual(["2026-02"]);
    expect(result.entries.map((e) => [e.kind, e.period, money(e.amount), e.trace.arithmetic])).toEqual([
      ["earning", "2026-02", "8500.00", "40,000 × 10% + 30,000 × 15% = 8,500"],
    ]);
    const half = s.engine.whatIf("ana", {
      amount: "140000.00",
      currency: "USD",
      closeDate: "2026-02-10",
      product: "Widget",
      dealType: "new",
      share: "0.5",
    });
    expect(money(half.payableDelta)).toBe("8500.00");
    expect(s.engine.lastPosition).toBe(s.position);
    expect(statementDigest(s.engine.statement("ana", "2026-02"))).toBe(before);
    expect(() =>
      s.engine.whatIf("ana", {
        amount: "lots",
        currency: "USD",
        closeDate: "2026-02-10",
        product: "W",
        dealType: "new",
      }),
    ).toThrow(EventValidationError);
  });

  it("explains a statement line down to its source events", () => {
    const s = team();
    const jan = s.engine.statement("ana", "2026-01");
    const line = jan.entries.find((e) => e.dealId === "D1");
    expect(line).toBeDefined();
    const x = explainEntry(jan, line?.id ?? "");
    expect(x?.sourceEventIds).toContain("deal-D1");
    expect(x?.amount).toBe("6000.00");
    expect(x?.text).toContain("Arithmetic:");
  });

  it("lists statements of reps with a plan or activity, sorted, and no one else", () => {
    const s = team();
    s.rep("cy"); // no plan, no activity
    s.rep("al");
    s.assign("al", "p8");
    expect(s.engine.statements("2026-03").map((st) => st.repId)).toEqual(["al", "ana", "bo"]);
  });

  it("eachStatement computes a statement only when it is asked for, and refuses an apply in between", () => {
    const s = team();
    const asked: string[] = [];
    const statement = s.engine.statement.bind(s.engine);
    s.engine.statement = (repId, period, options) => {
      asked.push(repId);
      return statement(repId, period, options);
    };
    const each = s.engine.eachStatement("2026-01");
    expect(asked).toEqual([]);
    expect(each.next().value?.repId).toBe("ana");
    expect(asked).toEqual(["ana"]);
    s.deal("B2", "5000.00", "2026-01-25", [{ repId: "bo", share: "1" }]);
    expect(() => each.next()).toThrow(/applied while the statements were being read/);
    expect([...s.engine.eachStatement("2026-01")].map((st) => statementDigest(st))).toEqual(
      s.engine.statements("2026-01").map((st) => statementDigest(st)),
    );
  });

  it("reports unknown reps and open disputes as exceptions until they are resolved", () => {
    const s = team();
    s.deal("X1", "5000.00", "2026-02-03", [{ repId: "ghost", share: "1" }]);
    s.add("DisputeRaised", "dispute-1", {
      disputeId: "DSP-1",
      repId: "bo",
      period: "2026-02",
      reason: "missing deal",
      raisedBy: "bo",
    });
    const codes = s.engine.periodExceptions("2026-02").map((x) => [x.code, x.repId]);
    expect(codes).toContainEqual(["unknown_rep", "ghost"]);
    expect(codes).toContainEqual(["open_dispute", "bo"]);
    expect(s.engine.statement("bo", "2026-02").exceptions.map((x) => x.code)).toEqual(["open_dispute"]);
    s.add("DisputeResolved", "dispute-1-resolved", {
      disputeId: "DSP-1",
      resolution: "explained",
      resolvedBy: "ops",
    });
    expect(s.engine.statement("bo", "2026-02").exceptions).toEqual([]);
  });

  it("period exceptions of several periods from one pass equal them asked period by period, whatever the cache", () => {
    const s = team();
    for (const rep of ["cy", "di", "ed"]) {
      s.rep(rep);
      s.assign(rep, "p8");
    }
    s.deal("X1", "5000.00", "2026-02-03", [{ repId: "ghost", share: "1" }]);
    s.deal("X2", "7000.00", "2026-03-09", [
      { repId: "cy", share: "0.5" },
      { repId: "di", share: "0.4" },
    ]);
    s.deal("D9", "8000.00", "2026-03-20", [{ repId: "ed", share: "1" }]);
    s.add("DisputeRaised", "dispute-1", {
      disputeId: "DSP-1",
      repId: "bo",
      period: "2026-01",
      reason: "missing deal",
      raisedBy: "bo",
    });
    const periods = ["2026-03", "2026-01", "2026-02", "2026-Q1"];
    // The reference, independent of the pass: each period's statements, then the company-wide exceptions.
    const calendar = s.engine.facts.calendar();
    const reference = (p: string, throughPosition?: number) =>
      periodExceptionsFrom(
        s.engine.statements(p, throughPosition === undefined ? {} : { throughPosition }),
        stageOneExceptions(s.engine.facts, throughPosition),
        parsePeriodId(calendar, p),
        calendar,
      );
    const oneByOne = new Map(periods.map((p) => [p, reference(p)]));
    expect(new Map(periods.map((p) => [p, s.engine.periodExceptions(p)]))).toEqual(oneByOne);
    // The scenario has what the claim is about: different exceptions in different periods.
    expect(oneByOne.get("2026-01")?.map((x) => x.code)).toContain("open_dispute");
    expect(oneByOne.get("2026-02")?.map((x) => x.code)).toContain("unknown_rep");
    expect(oneByOne.get("2026-03")?.map((x) => x.code)).toContain("bad_splits");
    expect(s.engine.periodExceptionsOf(periods)).toEqual(oneByOne);
    // A cache of one rep: the pass computes each rep's periods together and drops them afterwards.
    const tiny = new Engine({ latestRepCacheSize: 1 });
    tiny.applyAll(s.log);
    expect(tiny.periodExceptionsOf(periods)).toEqual(oneByOne);
    const before = s.log.at(-2)?.globalPosition ?? 0;
    expect(tiny.periodExceptionsOf(periods, { throughPosition: before })).toEqual(
      new Map(periods.map((p) => [p, reference(p, before)])),
    );
    // From exceptions the caller holds (a projector's, gathered from the statements it computed), in reverse
    // rep order and one list per rep: the same answer, and the company-wide ones are added to the given.
    const byRep = s.engine.statementExceptionsOf(periods);
    for (const repId of s.engine.facts.repIds()) {
      for (const p of periods) {
        const statement = s.engine.statement(repId, p);
        const empty = statement.entries.length === 0 && statement.exceptions.length === 0;
        expect(byRep.get(repId)?.get(p)).toEqual(empty ? undefined : statement.exceptions);
      }
    }
    const given = (p: string) => [...byRep.values()].reverse().map((byPeriod) => byPeriod.get(p) ?? []);
    expect(s.engine.periodExceptionsGiven(periods, given)).toEqual(oneByOne);
    expect(
      s.engine
        .periodExceptionsGiven(["2026-02"], () => [])
        .get("2026-02")
        ?.map((x) => x.code),
    ).toContain("unknown_rep");
  });

  it("names the payout periods a new fact affects", () => {
    const s = team();
    s.deal("D2", "1000.00", "2026-02-10", [{ repId: "ana", share: "1" }]);
    const recorded = s.log.at(-1);
    if (recorded === undefined) throw new Error("no event");
    expect(s.engine.affected(recorded)).toEqual([
      { repId: "ana", period: "2026-01" },
      { repId: "ana", period: "2026-02" },
      { repId: "ana", period: "2026-03" },
    ]);
    expect(s.engine.payoutPeriodsOf("ana")).toEqual(["2026-01", "2026-02"]);
  });

  it("pays on collection: commission is held until the customer pays, then released proportionally", () => {
    const s = team({ ...SECTION_8_PLAN, paymentTiming: { kind: "on_collection" } });
    const jan = s.engine.statement("ana", "2026-01");
    expect([
      money(jan.totals.earning),
      money(jan.totals.holdback),
      money(jan.payable),
      money(jan.closingBalance.heldBack),
    ]).toEqual(["6000.00", "-6000.00", "0.00", "6000.00"]);
    s.add("PaymentReceived", "pay-1", {
      paymentId: "P1",
      dealId: "D1",
      amount: "24000.00",
      currency: "USD",
      receivedDate: "2026-02-05",
    });
    const feb = s.engine.statement("ana", "2026-02");
    expect(feb.entries.map((e) => [e.kind, money(e.amount)])).toEqual([["holdback_release", "2400.00"]]);
    expect(money(feb.closingBalance.heldBack)).toBe("3600.00");
  });

  it("a rep is on a draw only while employed under a plan with a draw component", () => {
    const s = new Scenario();
    s.plan("pd", {
      ...SECTION_8_PLAN,
      components: [
        ...SECTION_8_PLAN.components,
        { kind: "draw", id: "draw", name: "Draw", amount: "1000.00", recoverable: false },
      ],
    });
    s.rep("new", "2026-02-10");
    s.assign("new", "pd", "2026-02-10");
    s.add("RepTerminated", "terminate-new", { repId: "new", terminationDate: "2026-04-15" });
    const advances = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"].map((p) =>
      money(s.engine.statement("new", p).totals.draw_advance),
    );
    expect(advances).toEqual(["0.00", "1000.00", "1000.00", "1000.00", "0.00"]);
  });

  it("builds the close manifest from the period's statements", () => {
    const s = team();
    const manifest = s.engine.closeManifest("2026-01");
    expect(manifest.throughPosition).toBe(s.position);
    expect(manifest.planVersions).toEqual([{ planId: "p8", version: 1 }]);
    expect(manifest.statements.map((l) => [l.repId, l.currency, l.payable])).toEqual([
      ["ana", "USD", "6000.00"],
      ["bo", "USD", "1000.00"],
    ]);
    expect(manifest.statements[0]?.digest).toBe(statementDigest(s.engine.statement("ana", "2026-01")));
  });

  it("carries balances over a long career, and refuses a chain longer than 100 years", () => {
    const s = new Scenario();
    s.plan("pd", {
      ...SECTION_8_PLAN,
      components: [{ kind: "draw", id: "draw", name: "Draw", amount: "1000.00", recoverable: true }],
    });
    s.rep("old", "2000-01-01");
    s.assign("old", "pd", "2000-01-01");
    const dec = s.engine.statement("old", "2026-12");
    // 2000-01 … 2026-12: 324 monthly advances of 1,000, never recovered.
    expect(money(dec.closingBalance.drawDeficit)).toBe("324000.00");
    expect(money(dec.openingBalance.drawDeficit)).toBe("323000.00");
    s.rep("ancient", "1800-01-01");
    expect(() => s.engine.statement("ancient", "2026-12")).toThrow(/more than 1200 periods/);
  });

  it("rejects a malformed period id", () => {
    expect(() => team().engine.statement("ana", "2026-13")).toThrow(RangeError);
  });
});

describe("public API", () => {
  it("the package index exports the facade, the statement tools and the version", async () => {
    const api = await import("../index.js");
    expect(api.ENGINE_VERSION).toMatch(/^icm-engine\/\d+\.\d+\.\d+$/);
    expect(typeof api.Engine).toBe("function");
    expect(typeof api.statementDigest).toBe("function");
    expect(typeof api.explainEntry).toBe("function");
    expect(typeof api.computeEarnings).toBe("function");
    expect(typeof api.parsePlanDefinition).toBe("function");
  });

  it("the same events give the same digest in two engines; one more deal changes it", () => {
    const a = team();
    const b = new Engine();
    b.applyAll(a.log);
    const digest = statementDigest(b.statement("ana", "2026-01"));
    expect(statementDigest(a.engine.statement("ana", "2026-01"))).toBe(digest);
    a.deal("D9", "1.00", "2026-01-31", [{ repId: "ana", share: "1" }]);
    expect(statementDigest(a.engine.statement("ana", "2026-01"))).not.toBe(digest);
  });
});

describe("currency", () => {
  it("flags lines in another currency than the rep's plan currency", () => {
    const s = new Scenario();
    s.plan("p8", SECTION_8_PLAN);
    s.rep("eu", "2025-01-01", "EUR");
    s.assign("eu", "p8");
    s.quota("eu", "2026-Q1", "100000.00");
    s.deal("D1", "1000.00", "2026-01-15", [{ repId: "eu", share: "1" }]);
    const jan = s.engine.statement("eu", "2026-01");
    expect(jan.currency).toBe("EUR");
    expect(jan.exceptions.map((x) => x.code)).toContain("currency_mismatch");
  });

  it("bounded ledger cache: evicting every other rep between statements changes no digest (managers' overlays, closes)", () => {
    const s = new Scenario();
    publishRepAndManagerPlans(s);
    s.rep("vp");
    s.rep("max", "2025-01-01", "USD", "vp");
    const reps = ["ana", "bo", "cy"];
    for (const rep of reps) s.rep(rep, "2025-01-01", "USD", "max");
    for (const rep of ["max", "vp"]) s.assign(rep, "mgr");
    for (const rep of reps) s.assign(rep, "rep");
    for (const rep of [...reps, "max", "vp"]) s.quota(rep, "2026-Q1", "50000.00");
    s.deal("D1", "30000.00", "2026-01-10", [{ repId: "ana", share: "1" }]);
    s.deal("D2", "45000.00", "2026-01-20", [
      { repId: "bo", share: "0.5" },
      { repId: "cy", share: "0.5" },
    ]);
    s.close("2026-01");
    // Recorded after the January close and dated in January: prior-period adjustments with late facts.
    s.deal("D3", "20000.00", "2026-01-25", [{ repId: "ana", share: "1" }]);
    s.deal("D4", "60000.00", "2026-02-03", [{ repId: "max", share: "1" }]);
    const people = ["ana", "bo", "cy", "max", "vp"];
    const periods = ["2026-01", "2026-02", "2026-03"];
    const expected = new Map<string, string>();
    for (const rep of people)
      for (const period of periods)
        expected.set(`${rep} ${period}`, statementDigest(s.engine.statement(rep, period)));
    // One rep cached: period by period across reps, every statement rebuilds the rep's ledger.
    const tiny = new Engine({ latestRepCacheSize: 1 });
    tiny.applyAll(s.log);
    for (const period of [...periods].reverse())
      for (const rep of [...people].reverse())
        expect(statementDigest(tiny.statement(rep, period))).toBe(expected.get(`${rep} ${period}`));
    // The scenario exercises what the claim is about: overlays on reports' deals and late facts after a close.
    expect(s.engine.statement("vp", "2026-01").entries.some((e) => e.kind === "overlay")).toBe(true);
    expect(
      s.engine.statement("ana", "2026-02").entries.some((e) => e.kind === "prior_period_adjustment"),
    ).toBe(true);
    expect(() => new Engine({ latestRepCacheSize: 0 })).toThrow(RangeError);
  });

  it("an engine that records late facts only after a bound answers the same, and refuses late facts it did not record", () => {
    const s = team();
    const close = s.close("2026-01");
    s.deal("D3", "20000.00", "2026-01-25", [{ repId: "ana", share: "1" }]);
    s.deal("D4", "60000.00", "2026-02-03", [{ repId: "bo", share: "1" }]);
    // D3 recorded between the position the close was computed through and the close itself (another
    // writer appended while the close was being computed): a late fact inside the close's gap.
    const through = close.globalPosition - 1;
    const d3 = s.log[close.globalPosition] as (typeof s.log)[number];
    const reordered = [...s.log.slice(0, through), d3, close, ...s.log.slice(close.globalPosition + 1)];
    const log = reordered.map((r, i) => ({ globalPosition: i + 1, event: r.event }));
    const statements = (engine: Engine) =>
      ["ana", "bo"].flatMap((rep) =>
        ["2026-01", "2026-02", "2026-03"].map((period) => statementDigest(engine.statement(rep, period))),
      );
    const reference = new Engine();
    reference.applyAll(log);
    const ppa = reference
      .statement("ana", "2026-02")
      .entries.filter((e) => e.kind === "prior_period_adjustment");
    expect(ppa.map((e) => e.trace.sourceEventIds.includes(d3.event.eventId))).toContain(true);

    const bounded = new Engine({ lateFactsAfter: through });
    bounded.applyAll(log);
    expect(statements(bounded)).toEqual(statements(reference));

    // Told nothing, it applied D3 without its touches before meeting the close: it says so, and refuses.
    const unbounded = new Engine({ lateFactsAfter: Number.MAX_SAFE_INTEGER });
    unbounded.applyAll(log);
    expect(unbounded.recordLateFactsAfter(through)).toBe(false);
    expect(() => unbounded.statement("ana", "2026-02")).toThrow(
      `engine invariant: late facts after position ${through} asked of an engine that records them only after ${Number.MAX_SAFE_INTEGER}`,
    );
    // The same log without the gap: the close lowers the bound itself.
    const plain = new Engine({ lateFactsAfter: Number.MAX_SAFE_INTEGER });
    plain.applyAll(s.log);
    const expected = new Engine();
    expected.applyAll(s.log);
    expect(statements(plain)).toEqual(statements(expected));

    expect(() => new Engine({ lateFactsAfter: -2 })).toThrow(RangeError);
    expect(() => new Engine({ lateFactsAfter: 1.5 })).toThrow(RangeError);
    expect(() => plain.recordLateFactsAfter(Number.NaN)).toThrow(RangeError);
  });

  it("a pass over more reps than the cache holds keeps what was cached and drops what only the pass computed", () => {
    const s = new Scenario();
    s.plan("rep", planDefinition([section8Table("marginal")]));
    const reps = ["ana", "bo", "cy", "di", "ed"];
    for (const rep of reps) {
      s.rep(rep);
      s.assign(rep, "rep");
      s.quota(rep, "2026-Q1", "50000.00");
    }
    reps.forEach((rep, i) => {
      s.deal(`D${i}`, `${(i + 2) * 10000}.00`, "2026-01-15", [{ repId: rep, share: "1" }]);
    });
    const whole = new Engine();
    whole.applyAll(s.log);
    const expected = whole.statements("2026-01").map(statementDigest);

    const engine = new Engine({ latestRepCacheSize: 2 });
    engine.applyAll(s.log);
    const asked = engine.statement("cy", "2026-01"); // used before the pass: cached, and stays so
    const pass = [...engine.eachStatement("2026-01")];
    expect(pass.map(statementDigest)).toEqual(expected);
    expect(pass.map((x) => x.repId)).toEqual(reps);
    expect(pass[2]).toBe(asked);
    expect(engine.statement("cy", "2026-01")).toBe(asked);
    // The pass's own results were let go: asked again, a rep's statement is computed again, the same bytes.
    const again = engine.statement("ed", "2026-01");
    expect(again).not.toBe(pass[4]);
    expect(statementDigest(again)).toBe(expected[4]);
    // An engine whose cache holds every rep keeps the pass's results (a small company's preview, then close).
    const roomy = new Engine({ latestRepCacheSize: reps.length });
    roomy.applyAll(s.log);
    const kept = [...roomy.eachStatement("2026-01")];
    expect(roomy.statement("ed", "2026-01")).toBe(kept[4]);
  });

  it("per-report overlay: a late deal in a closed month changes the report's line, paid as a prior-period adjustment", () => {
    const s = new Scenario();
    s.plan("rep", planDefinition([section8Table("marginal")]));
    s.plan(
      "mgr",
      planDefinition([
        { kind: "overlay", id: "overlay", name: "Team overlay", rate: "0.02", lines: "per_report" },
      ]),
    );
    s.rep("max");
    for (const rep of ["ana", "bo"]) {
      s.rep(rep, "2025-01-01", "USD", "max");
      s.assign(rep, "rep");
    }
    s.assign("max", "mgr");
    s.deal("D1", "30000.00", "2026-01-10", [{ repId: "ana", share: "1" }]);
    s.deal("D2", "10000.00", "2026-01-12", [{ repId: "ana", share: "1" }]);
    s.deal("D3", "45000.00", "2026-01-20", [{ repId: "bo", share: "1" }]);
    const january = s.engine.statement("max", "2026-01");
    expect(january.entries.map((e) => `${e.kind} ${e.trace.inputs.dealIds} ${money(e.amount)}`)).toEqual([
      "overlay D1,D2 800.00",
      "overlay D3 900.00",
    ]);
    const explained = explainEntry(january, january.entries[0]?.id ?? "");
    expect(explained?.text).toContain("30,000 + 10,000 = 40,000 × 2% = 800");
    s.close("2026-01");
    // Recorded after the close, dated in January: ana's January line would now pay 1,000.00.
    s.deal("D4", "10000.00", "2026-01-25", [{ repId: "ana", share: "1" }]);
    expect(statementDigest(s.engine.statement("max", "2026-01"))).toBe(statementDigest(january));
    const ppa = s.engine
      .statement("max", "2026-02")
      .entries.filter((e) => e.kind === "prior_period_adjustment");
    expect(ppa.map((e) => money(e.amount))).toEqual(["200.00"]);
    expect(ppa[0]?.trace.sourceEventIds).toEqual(expect.arrayContaining([expect.stringContaining("D4")]));
  });
});
