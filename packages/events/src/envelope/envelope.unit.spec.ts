import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, decodeCanonical } from "../canonical/canonical-json.js";
import { CURRENCY_MINOR_UNITS } from "../money/currency.js";
import { EVENT_SCHEMAS, EVENT_TYPES, type EventType } from "../schemas/catalog.js";
import { type DomainEvent, makeEvent, parseEvent } from "./envelope.js";
import { streamIdFor } from "./streams.js";

// ---- arbitraries for valid events, one per type (kept next to the law they serve) ----

const idArb = fc.stringMatching(/^[\x21-\x7e]{1,24}$/);
const currencyArb = fc.constantFrom(...Object.keys(CURRENCY_MINOR_UNITS).sort());
const textArb = (minLength: number) => fc.string({ unit: "grapheme", minLength, maxLength: 8 });
const fractionArb = fc.option(fc.stringMatching(/^[0-9]{1,8}$/), { nil: undefined });
const amountArb = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fractionArb)
  .map(([whole, fraction]) => (fraction === undefined ? `${whole}` : `${whole}.${fraction}`));
const signedAmountArb = fc
  .tuple(fc.boolean(), amountArb)
  .map(([negative, a]) => (negative && !/^0(\.0*)?$/.test(a) ? `-${a}` : a));
const positiveAmountArb = amountArb.filter((a) => !/^0(\.0*)?$/.test(a));
const shareArb = fc.oneof(
  fc.constantFrom("1", "1.0", "1.000"),
  fc.integer({ min: 1, max: 999_999 }).map((n) => `0.${String(n).padStart(6, "0")}`),
);
const dateArb = fc.date({
  min: new Date("1990-01-01T00:00:00Z"),
  max: new Date("2099-12-31T00:00:00Z"),
  noInvalidDate: true,
});
const localDateArb = dateArb.map((d) => d.toISOString().slice(0, 10));
const instantArb = fc
  .tuple(dateArb, fc.constantFrom("Z", "+05:30", "-08:00", "+00:00"))
  .map(([d, offset]) => d.toISOString().replace("Z", offset));
const businessDateArb = fc.oneof(localDateArb, instantArb);
const yearArb = fc.integer({ min: 1990, max: 2099 });
const periodArb = fc.oneof(
  fc.tuple(yearArb, fc.integer({ min: 1, max: 12 })).map(([y, m]) => `${y}-${String(m).padStart(2, "0")}`),
  fc.tuple(yearArb, fc.integer({ min: 1, max: 4 })).map(([y, q]) => `${y}-Q${q}`),
  yearArb.map((y) => `FY${y}`),
);
const shaArb = fc.stringMatching(/^[0-9a-f]{64}$/);
const jsonArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 3, noNullPrototype: true }),
  ),
})).value;
const splitsArb = fc.array(fc.record({ repId: idArb, share: shareArb }), { minLength: 1, maxLength: 5 });

type DataArbs = { [K in EventType]: fc.Arbitrary<Record<string, unknown>> };
const dataArbs: DataArbs = {
  CalendarConfigured: fc.record({
    timeZone: textArb(1),
    fiscalYearStartMonth: fc.integer({ min: 1, max: 12 }),
    effectiveFrom: localDateArb,
  }),
  RepOnboarded: fc.record(
    {
      repId: idArb,
      name: textArb(1),
      planCurrency: currencyArb,
      hireDate: localDateArb,
      managerId: fc.option(idArb, { nil: null }),
      email: textArb(0),
    },
    { requiredKeys: ["repId", "name", "planCurrency", "hireDate"] },
  ),
  RepManagerChanged: fc.record({
    repId: idArb,
    managerId: fc.option(idArb, { nil: null }),
    effectiveDate: localDateArb,
  }),
  RepTerminated: fc.record(
    { repId: idArb, terminationDate: localDateArb, reason: textArb(0) },
    { requiredKeys: ["repId", "terminationDate"] },
  ),
  PlanVersionPublished: fc.record({
    planId: idArb,
    version: fc.integer({ min: 1, max: 1_000 }),
    name: textArb(1),
    definition: fc.dictionary(fc.string({ maxLength: 6 }), jsonArb, { maxKeys: 4, noNullPrototype: true }),
  }),
  PlanAssigned: fc
    .tuple(
      idArb,
      idArb,
      fc.integer({ min: 1, max: 50 }),
      localDateArb,
      fc.option(localDateArb, { nil: undefined }),
    )
    .map(([repId, planId, version, a, b]) => {
      if (b === undefined) return { repId, planId, version, effectiveFrom: a };
      const [effectiveFrom, effectiveTo] = [a, b].sort();
      return { repId, planId, version, effectiveFrom, effectiveTo };
    }),
  QuotaSet: fc.record({ repId: idArb, period: periodArb, amount: amountArb, currency: currencyArb }),
  DealClosed: fc.record(
    {
      dealId: idArb,
      amount: amountArb,
      currency: currencyArb,
      closeDate: businessDateArb,
      product: textArb(1),
      dealType: textArb(1),
      margin: signedAmountArb,
      customer: textArb(0),
      splits: splitsArb,
    },
    { requiredKeys: ["dealId", "amount", "currency", "closeDate", "product", "dealType", "splits"] },
  ),
  DealAmended: fc.record(
    {
      dealId: idArb,
      amount: amountArb,
      currency: currencyArb,
      closeDate: businessDateArb,
      product: textArb(1),
      dealType: textArb(1),
      margin: signedAmountArb,
      splits: splitsArb,
      reason: textArb(0),
    },
    { requiredKeys: ["dealId"] },
  ),
  DealCancelled: fc.record({ dealId: idArb, cancelDate: businessDateArb, reason: textArb(1) }),
  PaymentReceived: fc.record({
    paymentId: idArb,
    dealId: idArb,
    amount: amountArb,
    currency: currencyArb,
    receivedDate: businessDateArb,
  }),
  FxRatePublished: fc
    .tuple(fc.uniqueArray(currencyArb, { minLength: 2, maxLength: 2 }), positiveAmountArb, localDateArb)
    .map(([[base, quote], rate, effectiveDate]) => ({ base, quote, rate, effectiveDate })),
  AdjustmentRecorded: fc.record({
    adjustmentId: idArb,
    repId: idArb,
    period: periodArb,
    amount: signedAmountArb,
    currency: currencyArb,
    reason: textArb(1),
    author: textArb(1),
    countsTowardQuota: fc.boolean(),
  }),
  DisputeRaised: fc.record(
    {
      disputeId: idArb,
      repId: idArb,
      period: periodArb,
      dealId: idArb,
      reason: textArb(1),
      raisedBy: textArb(1),
    },
    { requiredKeys: ["disputeId", "repId", "period", "reason", "raisedBy"] },
  ),
  DisputeResolved: fc.record({ disputeId: idArb, resolution: textArb(1), resolvedBy: textArb(1) }),
  PeriodClosed: fc.record(
    {
      period: periodArb,
      throughPosition: fc.nat(),
      chainHead: shaArb,
      planVersions: fc.array(fc.record({ planId: idArb, version: fc.integer({ min: 1, max: 99 }) }), {
        maxLength: 3,
      }),
      engineVersion: textArb(1),
      statements: fc.array(
        fc.record({ repId: idArb, currency: currencyArb, payable: signedAmountArb, digest: shaArb }),
        { maxLength: 3 },
      ),
      merkleRoot: shaArb,
      closedBy: textArb(1),
      closedAt: instantArb,
      override: fc.record({
        reason: textArb(1),
        exceptions: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      }),
    },
    {
      requiredKeys: [
        "period",
        "throughPosition",
        "chainHead",
        "planVersions",
        "engineVersion",
        "statements",
        "merkleRoot",
        "closedBy",
      ],
    },
  ),
};

const metadataArb = fc.record(
  { source: textArb(1), correlationId: idArb, causationId: idArb, actor: textArb(1), attempt: fc.nat() },
  { requiredKeys: [] },
);

const validEventArb = fc.constantFrom(...EVENT_TYPES).chain((type) =>
  fc.record({
    eventId: idArb,
    type: fc.constant(type),
    schemaVersion: fc.constant(EVENT_SCHEMAS[type].schemaVersion),
    data: dataArbs[type],
    metadata: metadataArb,
  }),
);

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
