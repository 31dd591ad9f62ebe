import { Decimal, type DomainEvent } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, DEFAULT_CALENDAR, parsePeriodId } from "../calendar/index.js";
import { computeEarnings, quotaPeriodsOf } from "../earnings/index.js";
import { Engine } from "../engine/index.js";
import type { EntryKind } from "../ledger/types.js";
import type { PlanDefinition } from "../plan/index.js";
import { statementDigest } from "../statement/index.js";
import { closeEvent, digests, engineOf, horizon, record } from "./harness.js";
import { interleave, organisationArb } from "./organisation.js";

const RUNS = { numRuns: 200 };
/** Stage-1 kinds: what the plan earned (D1), before timing, draws and close. */
const EARNED_KINDS: readonly EntryKind[] = [
  "earning",
  "true_up",
  "bonus",
  "spiff",
  "overlay",
  "clawback",
  "adjustment",
];

describe("statement laws (generated organisations)", () => {
  it("(a) any interleaving that keeps each stream's order gives the same statement digests", () => {
    fc.assert(
      fc.property(organisationArb, fc.array(fc.nat(), { minLength: 1, maxLength: 80 }), (org, choices) => {
        const reference = digests(engineOf(record(org.events)), org);
        const shuffled = interleave(org.events, choices);
        expect(shuffled).toHaveLength(org.events.length);
        expect(digests(engineOf(record(shuffled)), org)).toEqual(reference);
      }),
      RUNS,
    );
  });

  it("(f) over any horizon: paid = earned + draw advances − draw recoveries − still held back", () => {
    // earned = the stage-1 lines (earning, true_up, bonus, spiff, overlay, clawback, adjustment) computed
    // directly by computeEarnings and paid in periods up to the horizon; held back = the horizon statement's
    // closing heldBack. Timing lines (holdback, holdback_release) only move money between periods.
    fc.assert(
      fc.property(organisationArb, (org) => {
        const engine = engineOf(record(org.events));
        const periods = horizon(org).map((id) => parsePeriodId(DEFAULT_CALENDAR, id));
        for (const repId of org.repIds) {
          const stageOne = quotaPeriodsOf(engine.facts, repId).flatMap(
            (qp) => computeEarnings(engine.facts, { repId, quotaPeriod: qp }).entries,
          );
          for (const e of stageOne) expect(EARNED_KINDS).toContain(e.kind);
          let paid = new Decimal(0);
          let advances = new Decimal(0);
          let recoveries = new Decimal(0);
          for (const period of periods) {
            const s = engine.statement(repId, period.id);
            paid = paid.plus(s.payable);
            advances = advances.plus(s.totals.draw_advance);
            recoveries = recoveries.minus(s.totals.draw_recovery);
            const earned = stageOne
              .filter((e) => parsePeriodId(DEFAULT_CALENDAR, e.period).end <= period.end)
              .reduce((sum, e) => sum.plus(e.amount), new Decimal(0));
            const expected = earned.plus(advances).minus(recoveries).minus(s.closingBalance.heldBack);
            expect(paid.toFixed(2)).toBe(expected.toFixed(2));
            expect(s.closingBalance.drawDeficit.isNegative()).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });

  it("replay reproduces: a fresh engine over the log (closes included) matches the live, incrementally cached one", () => {
    fc.assert(
      fc.property(organisationArb, fc.nat(), fc.integer({ min: 3, max: 10 }), (org, cut, queryEvery) => {
        // The live engine answers queries while events arrive (so its caches are exercised), and closes the
        // first quarter part-way through the log, as the close service would.
        const split = 1 + (cut % org.events.length); // the log always starts with the plan and an FX rate
        const live = engineOf(record(org.events.slice(0, split)));
        const close = closeEvent(live, "2026-Q1", "close-q1");
        const log = record([...org.events.slice(0, split), close, ...org.events.slice(split)]);
        log.slice(split).forEach((r, i) => {
          live.apply(r);
          if (i % queryEvery === 0) digests(live, org);
        });
        const replayed = engineOf(log);
        expect(digests(replayed, org)).toEqual(digests(live, org));
        // The closed statements still hash to exactly what the close recorded.
        const recorded = close.type === "PeriodClosed" ? close.data.statements : [];
        for (const line of recorded)
          expect(statementDigest(replayed.statement(line.repId, "2026-Q1"))).toBe(line.digest);
        // And "as of" a past position answers what the statement said then.
        const asOfClose = split;
        expect(digests(replayed, org, asOfClose)).toEqual(digests(engineOf(log.slice(0, asOfClose)), org));
      }),
      RUNS,
    );
  });

  it("late facts recorded only after the closes change nothing: an engine that skips earlier touches answers the same", () => {
    fc.assert(
      fc.property(
        organisationArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 2, max: 10 }),
        (org, cut, gapSeed, queryEvery) => {
          // The close is computed through `split` and recorded `gap` events later (writers appended meanwhile).
          const split = 1 + (cut % org.events.length);
          const gap = gapSeed % (org.events.length - split + 1);
          const close = closeEvent(engineOf(record(org.events.slice(0, split))), "2026-Q1", "close-q1");
          const log = record([...org.events.slice(0, split + gap), close, ...org.events.slice(split + gap)]);
          const reference = engineOf(log);
          const closePosition = split + gap + 1;
          const asOf = [...new Set([Math.max(1, split - 1), split, closePosition])];
          const expected = asOf.map((position) => digests(reference, org, position));

          // Told the bound up front (as a replay that looked ahead to the close), queried while events
          // arrive (so caches are dropped by events whose touches it does not record).
          const bounded = new Engine({ lateFactsAfter: split });
          log.forEach((r, i) => {
            bounded.apply(r);
            if (i % queryEvery === 0) digests(bounded, org);
          });
          expect(digests(bounded, org)).toEqual(digests(reference, org));
          expect(asOf.map((position) => digests(bounded, org, position))).toEqual(expected);

          // Told nothing: the close lowers the bound itself when nothing after its position was applied yet.
          const unbounded = engineOf(log, { lateFactsAfter: Number.MAX_SAFE_INTEGER });
          expect(unbounded.recordLateFactsAfter(split)).toBe(gap === 0);
          if (gap === 0) {
            expect(digests(unbounded, org)).toEqual(digests(reference, org));
            expect(asOf.map((position) => digests(unbounded, org, position))).toEqual(expected);
          }
        },
      ),
      RUNS,
    );
  });

  it("closing moves money, never creates or loses it: with or without a close, the horizon pays the same", () => {
    // Without a draw, a prior-period adjustment only moves a closed period's change into the next open
    // period; with a draw the split between periods changes what the draw tops up, so draws are left out.
    // Every published version loses its draw (an organisation may publish a second version mid-period).
    const withoutDraw = (definition: PlanDefinition): PlanDefinition => ({
      ...definition,
      components: definition.components.filter((c) => c.kind !== "draw"),
    });
    const noDraw = organisationArb.map((org) => {
      const events = org.events.map((e) => {
        if (e.type !== "PlanVersionPublished") return e;
        const definition = withoutDraw(e.data.definition as unknown as PlanDefinition);
        return { ...e, data: { ...e.data, definition: definition as unknown as Record<string, unknown> } };
      });
      return { ...org, plan: withoutDraw(org.plan), events };
    });
    fc.assert(
      fc.property(noDraw, fc.nat(), (org, cut) => {
        const split = 1 + (cut % org.events.length);
        const before = engineOf(record(org.events.slice(0, split)));
        const close = closeEvent(before, "2026-Q1", "close-q1");
        const closed = engineOf(record([...org.events.slice(0, split), close, ...org.events.slice(split)]));
        const open = engineOf(record(org.events));
        for (const repId of org.repIds) {
          const total = (engine: typeof open) =>
            horizon(org)
              .map((p) => engine.statement(repId, p).payable)
              .reduce((a, b) => a.plus(b), new Decimal(0));
          expect(total(closed).toFixed(2)).toBe(total(open).toFixed(2));
          const last = horizon(org).at(-1) as string;
          expect(closed.statement(repId, last).closingBalance.heldBack.toFixed(2)).toBe(
            open.statement(repId, last).closingBalance.heldBack.toFixed(2),
          );
        }
      }),
      RUNS,
    );
  });

  it("ledger horizons change nothing: statements from partial ledgers equal those from whole ledgers", () => {
    // A statement's ledger leaves out the quota periods starting after its period (plus what early-dated
    // cancellations pull back). Asked period by period from the first, oldest first, every statement is
    // built from the smallest ledger it may use; the reference engine builds every ledger whole.
    fc.assert(
      fc.property(organisationArb, fc.nat(), (org, cut) => {
        const split = 1 + (cut % org.events.length);
        const close = closeEvent(engineOf(record(org.events.slice(0, split))), "2026-Q1", "close-q1");
        const log = record([...org.events.slice(0, split), close, ...org.events.slice(split)]);
        const partial = engineOf(log);
        const whole = engineOf(log, { ledgerHorizons: false });
        const periodMajor: Record<string, string> = {};
        for (const period of horizon(org))
          for (const repId of org.repIds)
            periodMajor[`${repId} ${period}`] = statementDigest(partial.statement(repId, period));
        expect(periodMajor).toEqual(digests(whole, org));
        expect(digests(partial, org, split)).toEqual(digests(whole, org, split));
        // A small cache (one rep) makes the engine rebuild ledgers between periods and reps.
        expect(digests(engineOf(log, { latestRepCacheSize: 1 }), org)).toEqual(digests(whole, org));
      }),
      RUNS,
    );
  });

  it("what-if replays only what can reach the rep, and answers what a replay of the whole log answers", () => {
    const whatIfDeal = fc.record({
      amount: fc
        .integer({ min: 100, max: 5_000_000 })
        .map((n) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`),
      eur: fc.boolean(),
      dayOffset: fc.integer({ min: 0, max: 200 }),
      share: fc.constantFrom("1", "0.5", "0.25"),
    });
    fc.assert(
      fc.property(organisationArb, fc.nat(), whatIfDeal, (org, cut, d) => {
        const split = 1 + (cut % org.events.length);
        const close = closeEvent(engineOf(record(org.events.slice(0, split))), "2026-Q1", "close-q1");
        const log = record([...org.events.slice(0, split), close, ...org.events.slice(split)]);
        const restricted = engineOf(log);
        const everything = engineOf(log, { whatIfEveryEvent: true });
        const deal = {
          amount: d.amount,
          currency: d.eur ? "EUR" : "USD",
          closeDate: addDays("2026-01-01", d.dayOffset),
          product: "Widget",
          dealType: "new",
          share: d.share,
        };
        const shape = (r: ReturnType<typeof restricted.whatIf>) => ({
          entries: r.entries.map((e) => `${e.id} ${e.period} ${e.amount.toFixed()}`),
          payableDelta: r.payableDelta.toFixed(),
          periods: r.periods,
        });
        for (const repId of org.repIds)
          expect(shape(restricted.whatIf(repId, deal))).toEqual(shape(everything.whatIf(repId, deal)));
      }),
      RUNS,
    );
  });

  it("duplicates are no-ops: applying events twice (same or later position) changes nothing", () => {
    fc.assert(
      fc.property(organisationArb, fc.array(fc.nat(), { maxLength: 20 }), (org, picks) => {
        const log = record(org.events);
        const once = digests(engineOf(log), org);
        const twice = engineOf(log);
        for (const r of log) twice.apply(r); // redelivery at the same position
        let next = log.length + 1;
        for (const pick of picks) {
          const original = log[pick % Math.max(1, log.length)];
          if (original !== undefined)
            twice.apply({ globalPosition: next++, event: original.event as DomainEvent });
        }
        expect(digests(twice, org)).toEqual(once);
      }),
      RUNS,
    );
  });
});
