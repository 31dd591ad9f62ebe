import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, decodeCanonical } from "../canonical/canonical-json.js";
import { EVENT_SCHEMAS, EVENT_TYPES, type EventType } from "../schemas/catalog.js";
import { dataArbs, validEventArb } from "./arbitraries.js";
import { type DomainEvent, makeEvent, parseEvent } from "./envelope.js";
import { streamIdFor } from "./streams.js";

function ruleAbiding(issues: readonly { path: string; rule: string }[]): boolean {
  return (
    issues.length > 0 &&
    issues.every(
      (i) =>
        typeof i.path === "string" && i.path.length > 0 && typeof i.rule === "string" && i.rule.length > 0,
    )
  );
}

describe("event envelope laws", () => {
  it("every generated event is valid: the generators cover every type (200 runs)", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(validEventArb, (event) => {
        seen.add(event.type);
        const result = parseEvent(event);
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
      }),
      { numRuns: 200 },
    );
    expect(seen.size).toBeGreaterThanOrEqual(EVENT_TYPES.length - 2);
  });

  it("random valid events round-trip encode → decode → parse → encode to identical bytes (200 runs)", () => {
    fc.assert(
      fc.property(validEventArb, (event) => {
        const encoded = canonicalJson(event);
        const parsed = parseEvent(decodeCanonical(encoded));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(canonicalJson(parsed.value)).toBe(encoded);
      }),
      { numRuns: 200 },
    );
  });

  it("random garbage never throws from parseEvent: it returns issues (200 runs)", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withSparseArray: true,
        }),
        (raw) => {
          const result = parseEvent(raw);
          if (!result.ok) expect(ruleAbiding(result.issues)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("envelope-shaped garbage (real types, broken fields) never throws and names a field (200 runs)", () => {
    const brokenArb = validEventArb.chain((event) =>
      fc
        .tuple(
          fc.constantFrom(...Object.keys(event.data), "eventId", "schemaVersion", "metadata"),
          fc.anything({ withBigInt: true, withDate: true }),
        )
        .map(([field, garbage]) => {
          if (field === "eventId" || field === "schemaVersion" || field === "metadata")
            return { ...event, [field]: garbage };
          return { ...event, data: { ...event.data, [field]: garbage } };
        }),
    );
    fc.assert(
      fc.property(brokenArb, (raw) => {
        const result = parseEvent(raw);
        if (!result.ok) expect(ruleAbiding(result.issues)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("the envelope's data", () => {
  const valid = makeEvent("DealCancelled", "e-1", {
    dealId: "D-1",
    cancelDate: "2026-02-01",
    reason: "churned",
  });

  it.each([
    ["an array", [valid.data]],
    ["a string", "{}"],
    ["null", null],
    ["a number", 7],
    ["a Date", new Date(0)],
    ["a class instance", new Map()],
  ])("that is %s is refused at `data`, as z.record refused it", (_name, data) => {
    const result = parseEvent({ ...valid, data });
    expect(result).toEqual({ ok: false, issues: [{ path: "data", rule: "must be an object" }] });
  });

  it("a null-prototype object is read like any other object", () => {
    const data = Object.assign(Object.create(null) as Record<string, unknown>, valid.data);
    const result = parseEvent({ ...valid, data });
    expect(result.ok && result.value.data).toEqual(valid.data);
  });
});

describe("makeEvent and streams", () => {
  it("makeEvent stamps the current schema version", () => {
    const event = makeEvent("DealClosed", "e-1", {
      dealId: "d-1",
      amount: "10.00",
      currency: "USD",
      closeDate: "2026-01-02",
      product: "p",
      dealType: "new",
      splits: [{ repId: "r-1", share: "1" }],
    });
    expect(event.schemaVersion).toBe(2);
    expect(event.metadata).toEqual({});
  });

  it("routes every event type to the stream of the entity it changes", () => {
    const data = (type: EventType) =>
      fc.sample(dataArbs[type], { numRuns: 1, seed: 42 })[0] as Record<string, unknown>;
    const expected: { [K in EventType]: (d: Record<string, unknown>) => string } = {
      CalendarConfigured: () => "calendar",
      RepOnboarded: (d) => `rep-${String(d.repId)}`,
      RepManagerChanged: (d) => `rep-${String(d.repId)}`,
      RepTerminated: (d) => `rep-${String(d.repId)}`,
      PlanVersionPublished: (d) => `plan-${String(d.planId)}`,
      PlanAssigned: (d) => `assignment-${String(d.repId)}`,
      QuotaSet: (d) => `quota-${String(d.repId)}`,
      DealClosed: (d) => `deal-${String(d.dealId)}`,
      DealAmended: (d) => `deal-${String(d.dealId)}`,
      DealCancelled: (d) => `deal-${String(d.dealId)}`,
      PaymentReceived: (d) => `deal-${String(d.dealId)}`,
      FxRatePublished: (d) => `fx-${String(d.base)}-${String(d.quote)}`,
      AdjustmentRecorded: (d) => `adjustment-${String(d.repId)}`,
      DisputeRaised: (d) => `dispute-${String(d.disputeId)}`,
      DisputeResolved: (d) => `dispute-${String(d.disputeId)}`,
      PeriodClosed: (d) => `close-${String(d.period)}`,
    };
    for (const type of EVENT_TYPES) {
      const body = data(type);
      const event = {
        eventId: "e",
        type,
        schemaVersion: EVENT_SCHEMAS[type].schemaVersion,
        data: body,
        metadata: {},
      } as unknown as DomainEvent;
      expect({ type, stream: streamIdFor(event) }).toEqual({ type, stream: expected[type](body) });
    }
  });
});
