import { Decimal } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays } from "../calendar/index.js";
import { type Assignment, FxRates, PlanAssignments } from "./index.js";

// The effective-dated lookups are indexed (sorted histories, painted timelines, caches). These laws check
// them against the plain definition, written as a linear scan, on random histories.

const day = (offset: number) => addDays("2026-01-01", offset);

describe("laws: indexed lookups agree with their definition", () => {
  it("FxRates.rateOn is the latest effective date on or before the date, then the highest position", () => {
    const publication = fc.record({
      dayOffset: fc.integer({ min: 0, max: 40 }),
      rate: fc.integer({ min: 1, max: 999 }),
    });
    fc.assert(
      fc.property(
        fc.array(publication, { maxLength: 25 }),
        fc.integer({ min: -5, max: 45 }),
        fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
        (publications, askOffset, throughPosition) => {
          const fx = new FxRates();
          publications.forEach((p, position) => {
            fx.publish("EUR", "USD", new Decimal(p.rate), day(p.dayOffset), `fx-${position}`, position);
          });
          const date = day(askOffset);
          let expected: { position: number; date: string } | undefined;
          publications.forEach((p, position) => {
            const effective = day(p.dayOffset);
            if (effective > date || (throughPosition !== undefined && position > throughPosition)) return;
            if (
              expected === undefined ||
              effective > expected.date ||
              (effective === expected.date && position > expected.position)
            ) {
              expected = { position, date: effective };
            }
          });
          expect(fx.rateOn("EUR", "USD", date, throughPosition)?.position).toBe(expected?.position);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("PlanAssignments.planOn is the highest-position assignment covering the date; segments tile it", () => {
    const assignmentArb = fc.record({
      fromOffset: fc.integer({ min: 0, max: 60 }),
      length: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
      plan: fc.constantFrom("A", "B", "C"),
    });
    fc.assert(
      fc.property(
        fc.array(assignmentArb, { maxLength: 12 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        (raw, throughPosition) => {
          const plans = new PlanAssignments();
          const all: Assignment[] = raw.map((r, position) => ({
            repId: "ana",
            planId: r.plan,
            version: 1,
            effectiveFrom: day(r.fromOffset),
            effectiveTo: r.length === null ? null : day(r.fromOffset + r.length),
            position,
            eventId: `pa-${position}`,
          }));
          for (const a of all) plans.assign(a);
          const naive = (date: string) => {
            let found: Assignment | undefined;
            for (const a of all) {
              if (throughPosition !== undefined && a.position > throughPosition) continue;
              if (a.effectiveFrom <= date && (a.effectiveTo === null || date <= a.effectiveTo)) found = a;
            }
            return found;
          };
          for (let offset = -2; offset <= 105; offset += 1) {
            expect(plans.planOn("ana", day(offset), throughPosition)?.eventId).toBe(
              naive(day(offset))?.eventId,
            );
          }
          // Segments over a window list exactly the days that have a plan, each with the right assignment.
          const segments = plans.segments("ana", day(10), day(80), throughPosition);
          const covered = new Map<string, string>();
          for (const s of segments) {
            expect(s.from <= s.to).toBe(true);
            for (let d = s.from; d <= s.to; d = addDays(d, 1)) {
              expect(covered.has(d)).toBe(false);
              covered.set(d, s.assignment.eventId);
            }
          }
          for (let offset = 10; offset <= 80; offset += 1) {
            expect(covered.get(day(offset))).toBe(naive(day(offset))?.eventId);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
