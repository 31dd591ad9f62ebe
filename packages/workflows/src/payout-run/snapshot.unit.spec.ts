import { Engine } from "@icm/engine";
import type { DomainEvent } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deal, ev, section8History, unknownRepDeal } from "../testing/history.js";
import { periodSnapshot } from "./snapshot.js";
import { currencyTotals, planVersionsOf, summarise } from "./summary.js";

// periodSnapshot folds each statement in as it is computed (lines, totals, plan versions, exceptions) and
// derives the period's exceptions from them; it must give exactly what the engine's own statements() and
// periodExceptions() give, at every position and for every period.

/** Facts that raise exceptions of every origin: statement ones, company-wide ones with and without a period. */
const extras = (): DomainEvent[] => [
  unknownRepDeal(),
  deal("X2", "2500.00", "2026-05-02", "ghost"),
  deal("E1", "900.00", "2026-02-20", "ana", "EUR"),
  ev("DealCancelled", "cancel-nowhere", { dealId: "NOPE", cancelDate: "2026-02-01", reason: "orphan" }),
  ev("DisputeRaised", "dispute-ana", {
    disputeId: "disp-1",
    repId: "ana",
    period: "2026-03",
    dealId: "deal-D1",
    reason: "missing split",
    raisedBy: "ana",
  }),
  ev("DisputeRaised", "dispute-ben", {
    disputeId: "disp-2",
    repId: "ben",
    period: "2026-Q2",
    reason: "quota looks wrong",
    raisedBy: "ben",
  }),
  ev("DisputeResolved", "resolve-ana", {
    disputeId: "disp-1",
    resolution: "split added",
    resolvedBy: "finance@example.com",
  }),
];

function engineOf(events: readonly DomainEvent[]): Engine {
  const engine = new Engine();
  events.forEach((event, i) => {
    engine.apply({ globalPosition: i + 1, event });
  });
  return engine;
}

const PERIODS = ["2026-Q1", "2026-Q2", "2026-01", "2026-03", "2026-05", "2025-Q4"] as const;

describe("periodSnapshot", () => {
  it("gives the engine's statements (summarised) and periodExceptions, at any position, for any period", () => {
    fc.assert(
      fc.property(
        fc.subarray(extras()).chain((chosen) => fc.shuffledSubarray(chosen, { minLength: chosen.length })),
        fc.constantFrom(...PERIODS),
        fc.nat(),
        fc.boolean(),
        (chosen, period, at, latest) => {
          const events = [...section8History(), ...chosen];
          const engine = engineOf(events);
          const through = latest ? undefined : at % (events.length + 2); // also beyond the last position
          const options = through === undefined ? {} : { throughPosition: through };
          const snapshot = periodSnapshot(engine, period, through);
          const statements = engine.statements(period, options);
          expect(snapshot.lines).toEqual(statements.map(summarise));
          expect(snapshot.totals).toEqual(currencyTotals(statements));
          expect(snapshot.planVersions).toEqual(planVersionsOf(statements));
          expect(snapshot.closedBy).toEqual(statements.find((s) => s.closed !== undefined)?.closed);
          expect(snapshot.exceptions).toEqual(engine.periodExceptions(period, options));
          expect(snapshot.throughPosition).toBe(
            through === undefined ? engine.lastPosition : Math.min(through, engine.lastPosition),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("names the close that froze the period's statements", () => {
    const events = [...section8History()];
    const engine = engineOf(events);
    const manifest = engine.closeManifest("2026-Q1");
    const position = events.length + 1;
    engine.apply({
      globalPosition: position,
      event: ev("PeriodClosed", "close-q1", {
        period: "2026-Q1",
        throughPosition: manifest.throughPosition,
        chainHead: "0".repeat(64),
        planVersions: [...manifest.planVersions],
        engineVersion: manifest.engineVersion,
        statements: [...manifest.statements],
        merkleRoot: "0".repeat(64),
        closedBy: "finance@example.com",
      }),
    });
    const snapshot = periodSnapshot(engine, "2026-Q1");
    expect(snapshot.closedBy).toEqual({ eventId: "close-q1", position });
    expect(snapshot.lines.map((l) => l.digest)).toEqual(manifest.statements.map((l) => l.digest));
  });

  it("finds exceptions of every origin in a history that has them", () => {
    const engine = engineOf([...section8History(), ...extras()]);
    const codes = new Set(periodSnapshot(engine, "2026-Q1").exceptions.map((x) => x.code));
    expect(codes).toContain("unknown_rep");
    expect(codes).toContain("unknown_deal");
  });

  it("computes each rep's statement once (the engine computed them twice for statements + exceptions)", () => {
    const engine = engineOf([...section8History(), ...extras()]);
    const asked: string[] = [];
    const statement = engine.statement.bind(engine);
    engine.statement = (repId, period, options) => {
      asked.push(repId);
      return statement(repId, period, options);
    };
    periodSnapshot(engine, "2026-Q1");
    expect(asked).toEqual([...engine.facts.repIds()]);
  });
});
