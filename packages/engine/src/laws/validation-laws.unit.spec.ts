import type { DomainEvent, EventType } from "@icm/events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateEvent } from "../plan/index.js";
import { organisationArb } from "./organisation.js";

const RUNS = { numRuns: 200 };

/** A required identifying field of each event type: removing it must always be rejected. */
const REQUIRED_FIELD: Record<EventType, string> = {
  CalendarConfigured: "timeZone",
  RepOnboarded: "repId",
  RepManagerChanged: "repId",
  RepTerminated: "repId",
  PlanVersionPublished: "planId",
  PlanAssigned: "repId",
  QuotaSet: "repId",
  DealClosed: "dealId",
  DealAmended: "dealId",
  DealCancelled: "dealId",
  PaymentReceived: "dealId",
  FxRatePublished: "base",
  AdjustmentRecorded: "repId",
  DisputeRaised: "disputeId",
  DisputeResolved: "disputeId",
  PeriodClosed: "period",
};

type Raw = Record<string, unknown> & { data: Record<string, unknown> };

/** Ways to break a valid event; each one breaks a schema rule, so it must be rejected with a path. */
const MUTATIONS: readonly { name: string; apply: (raw: Raw) => unknown; path: RegExp }[] = [
  {
    name: "unknown field in data",
    apply: (r) => ({ ...r, data: { ...r.data, bogusField: "x" } }),
    path: /^data/,
  },
  {
    name: "missing required field",
    apply: (r) => ({
      ...r,
      data: Object.fromEntries(
        Object.entries(r.data).filter(([k]) => k !== REQUIRED_FIELD[r.type as EventType]),
      ),
    }),
    path: /^data\./,
  },
  { name: "unknown type", apply: (r) => ({ ...r, type: "NoSuchEvent" }), path: /^type$/ },
  { name: "empty event id", apply: (r) => ({ ...r, eventId: "" }), path: /^eventId$/ },
  { name: "future schema version", apply: (r) => ({ ...r, schemaVersion: 99 }), path: /^schemaVersion$/ },
  { name: "data not an object", apply: (r) => ({ ...r, data: 42 }), path: /^data$/ },
  {
    name: "fractional number in data",
    apply: (r) => ({ ...r, data: { ...r.data, [REQUIRED_FIELD[r.type as EventType]]: 1.5 } }),
    path: /^data\./,
  },
  {
    name: "extra envelope field",
    apply: (r) => ({ ...r, recordedAt: "2026-01-01" }),
    path: /^\$$|^recordedAt$/,
  },
];

describe("validation laws", () => {
  it("(g) invalid events are always rejected with a path and a rule, never accepted or thrown on", () => {
    const eventArb = organisationArb.chain((org) => fc.constantFrom(...(org.events as DomainEvent[])));
    fc.assert(
      fc.property(eventArb, fc.integer({ min: 0, max: MUTATIONS.length - 1 }), (event, m) => {
        const raw = JSON.parse(JSON.stringify(event)) as Raw;
        expect(validateEvent(raw).ok).toBe(true);
        const mutation = MUTATIONS[m] as (typeof MUTATIONS)[number];
        const broken = mutation.apply(raw);
        let result: ReturnType<typeof validateEvent> | undefined;
        expect(() => {
          result = validateEvent(broken);
        }).not.toThrow();
        expect(result?.ok, mutation.name).toBe(false);
        if (result === undefined || result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(issue.path.length).toBeGreaterThan(0);
          expect(issue.rule.length).toBeGreaterThan(0);
        }
        expect(
          result.issues.some((i) => mutation.path.test(i.path)),
          `${mutation.name}: ${JSON.stringify(result.issues)}`,
        ).toBe(true);
      }),
      RUNS,
    );
  });

  it("(g) a broken plan definition is rejected with a path inside the definition", () => {
    const eventArb = organisationArb.map(
      (org) => org.events.find((e) => e.type === "PlanVersionPublished") as DomainEvent,
    );
    const breaks: ((definition: Record<string, unknown>) => Record<string, unknown>)[] = [
      (d) => ({ ...d, rounding: { mode: "SOMETIMES", scale: 2 } }),
      (d) => ({ ...d, payoutPeriod: "fortnight" }),
      (d) => ({ ...d, currency: "usd" }),
      (d) => ({ ...d, components: "none" }),
    ];
    fc.assert(
      fc.property(eventArb, fc.integer({ min: 0, max: breaks.length - 1 }), (event, b) => {
        const raw = JSON.parse(JSON.stringify(event)) as Raw;
        const definition = raw.data.definition as Record<string, unknown>;
        const broken = {
          ...raw,
          data: {
            ...raw.data,
            definition: (breaks[b] as (d: Record<string, unknown>) => Record<string, unknown>)(definition),
          },
        };
        const result = validateEvent(broken);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.issues.every((i) => i.path.startsWith("data.definition"))).toBe(true);
      }),
      RUNS,
    );
  });

  it("(g) arbitrary input never throws: it is either a valid event or rejected with issues", () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const result = validateEvent(input);
        if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });
});
