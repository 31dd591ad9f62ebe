import { describe, expect, it } from "vitest";
import {
  EventValidationError,
  parseEvent,
  parseEventOrThrow,
  type ValidationIssue,
} from "../envelope/envelope.js";
import { EVENT_SCHEMAS, EVENT_TYPES, type EventData, type EventType } from "./catalog.js";

/** One valid body per type; typed as a full record, so a new event type without an example fails the build. */
const VALID_EVENT_EXAMPLES: { readonly [K in EventType]: EventData[K] } = {
  CalendarConfigured: { timeZone: "America/New_York", fiscalYearStartMonth: 2, effectiveFrom: "2026-02-01" },
  RepOnboarded: {
    repId: "rep-1",
    name: "Zoë Ångström",
    planCurrency: "EUR",
    hireDate: "2026-01-05",
    managerId: "rep-0",
    email: "zoe@example.com",
  },
  RepManagerChanged: { repId: "rep-1", managerId: null, effectiveDate: "2026-04-01" },
  RepTerminated: { repId: "rep-1", terminationDate: "2026-09-30", reason: "resigned" },
  PlanVersionPublished: {
    planId: "ae-2026",
    version: 1,
    name: "Account Executive 2026",
    definition: {
      currency: "USD",
      components: [{ kind: "rateTable", bands: [{ from: "0", rate: "0.05" }] }],
    },
  },
  PlanAssigned: {
    repId: "rep-1",
    planId: "ae-2026",
    version: 1,
    effectiveFrom: "2026-01-01",
    effectiveTo: "2026-12-31",
  },
  QuotaSet: { repId: "rep-1", period: "2026-Q1", amount: "250000.00", currency: "USD" },
  DealClosed: {
    dealId: "deal-1",
    amount: "1250.00",
    currency: "USD",
    closeDate: "2026-03-15T23:30:00-05:00",
    product: "widgets",
    dealType: "new",
    margin: "312.50",
    customer: "ACME",
    splits: [
      { repId: "rep-1", share: "0.6" },
      { repId: "rep-2", share: "0.4" },
    ],
  },
  DealAmended: { dealId: "deal-1", amount: "1300.00", reason: "price correction" },
  DealCancelled: { dealId: "deal-1", cancelDate: "2026-05-02", reason: "customer churned" },
  PaymentReceived: {
    paymentId: "pay-1",
    dealId: "deal-1",
    amount: "625.00",
    currency: "USD",
    receivedDate: "2026-04-01",
  },
  FxRatePublished: { base: "EUR", quote: "USD", rate: "1.0837", effectiveDate: "2026-03-01" },
  AdjustmentRecorded: {
    adjustmentId: "adj-1",
    repId: "rep-1",
    period: "2026-03",
    amount: "-120.50",
    currency: "USD",
    reason: "clawback of duplicate credit",
    author: "finance@example.com",
    countsTowardQuota: false,
  },
  DisputeRaised: {
    disputeId: "disp-1",
    repId: "rep-1",
    period: "2026-03",
    dealId: "deal-1",
    reason: "missing split",
    raisedBy: "rep-1",
  },
  DisputeResolved: { disputeId: "disp-1", resolution: "split added", resolvedBy: "finance@example.com" },
  PeriodClosed: {
    period: "2026-03",
    throughPosition: 1042,
    chainHead: "a".repeat(64),
    planVersions: [{ planId: "ae-2026", version: 1 }],
    engineVersion: "0.1.0",
    statements: [{ repId: "rep-1", currency: "USD", payable: "4210.55", digest: "b".repeat(64) }],
    merkleRoot: "c".repeat(64),
    closedBy: "finance@example.com",
    closedAt: "2026-04-03T10:00:00Z",
  },
};

const envelope = (
  type: string,
  data: unknown,
  schemaVersion: number = EVENT_SCHEMAS[type as EventType]?.schemaVersion ?? 1,
) => ({
  eventId: `evt-${type}`,
  type,
  schemaVersion,
  data,
  metadata: { source: "test", correlationId: "corr-1" },
});

function issuesOf(raw: unknown): ValidationIssue[] {
  const result = parseEvent(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return result.issues;
}

const paths = (raw: unknown) => issuesOf(raw).map((i) => i.path);

describe("event catalogue", () => {
  it("has an example for exactly the catalogued types", () => {
    expect(Object.keys(VALID_EVENT_EXAMPLES).sort()).toEqual(EVENT_TYPES);
  });

  describe.each(EVENT_TYPES)("%s", (type) => {
    const example = VALID_EVENT_EXAMPLES[type] as Record<string, unknown>;

    it("accepts the valid example unchanged", () => {
      const result = parseEvent(envelope(type, example));
      expect(result).toEqual({ ok: true, value: envelope(type, example) });
    });

    it.each(Object.keys(example))("a wrong-typed %s is rejected naming data.<field>", (field) => {
      const broken = { ...example, [field]: [[]] };
      expect(
        paths(envelope(type, broken)).some(
          (p) => p === `data.${field}` || p.startsWith(`data.${field}.`) || p.startsWith(`data.${field}[`),
        ),
      ).toBe(true);
    });

    it.each(Object.keys(example))("a missing %s is either optional or rejected naming it", (field) => {
      const { [field]: _removed, ...rest } = example;
      const result = parseEvent(envelope(type, rest));
      const schema = EVENT_SCHEMAS[type].schema as unknown as {
        shape: Record<string, { safeParse(v: unknown): { success: boolean } }>;
      };
      const optional = schema.shape[field]?.safeParse(undefined).success;
      if (optional) expect(result.ok).toBe(true);
      else expect(result.ok ? [] : result.issues.map((i) => i.path)).toContain(`data.${field}`);
    });

    it("an unknown field is rejected naming that field", () => {
      expect(paths(envelope(type, { ...example, surplusField: "x" }))).toEqual(["data.surplusField"]);
    });
  });

  const broken: [string, EventType, Record<string, unknown>, string][] = [
    ["a share above 1", "DealClosed", { splits: [{ repId: "rep-1", share: "1.5" }] }, "data.splits[0].share"],
    [
      "a zero share in the second split",
      "DealClosed",
      {
        splits: [
          { repId: "rep-1", share: "1" },
          { repId: "rep-2", share: "0.000" },
        ],
      },
      "data.splits[1].share",
    ],
    ["no splits", "DealClosed", { splits: [] }, "data.splits"],
    ["a negative amount", "DealClosed", { amount: "-5.00" }, "data.amount"],
    ["a float amount", "DealClosed", { amount: 1250.5 }, "data.amount"],
    ["an exponent amount", "DealClosed", { amount: "1e3" }, "data.amount"],
    ["an unknown currency", "DealClosed", { currency: "XXX" }, "data.currency"],
    ["a 30 February close date", "DealClosed", { closeDate: "2026-02-30" }, "data.closeDate"],
    ["an instant without offset", "DealClosed", { closeDate: "2026-03-15T10:00:00" }, "data.closeDate"],
    [
      "a split rep id with a space",
      "DealClosed",
      { splits: [{ repId: "rep 1", share: "1" }] },
      "data.splits[0].repId",
    ],
    [
      "an assignment ending before it starts",
      "PlanAssigned",
      { effectiveTo: "2025-12-31" },
      "data.effectiveTo",
    ],
    ["an FX rate quoted against itself", "FxRatePublished", { quote: "EUR" }, "data.quote"],
    ["a zero FX rate", "FxRatePublished", { rate: "0.000" }, "data.rate"],
    ["a month 13 quota period", "QuotaSet", { period: "2026-13" }, "data.period"],
    ["an unpadded hire date", "RepOnboarded", { hireDate: "2026-1-5" }, "data.hireDate"],
    [
      "a fiscal year starting in month 13",
      "CalendarConfigured",
      { fiscalYearStartMonth: 13 },
      "data.fiscalYearStartMonth",
    ],
    [
      "a float deep in a plan definition",
      "PlanVersionPublished",
      { definition: { components: [{ rate: 0.05 }] } },
      "data.definition.components",
    ],
    ["a short chain head", "PeriodClosed", { chainHead: "abc" }, "data.chainHead"],
    [
      "an upper-case statement digest",
      "PeriodClosed",
      { statements: [{ repId: "rep-1", currency: "USD", payable: "1.00", digest: "B".repeat(64) }] },
      "data.statements[0].digest",
    ],
    [
      "an override without a reason",
      "PeriodClosed",
      { override: { reason: "", exceptions: [] } },
      "data.override.reason",
    ],
    ["a cancellation without a reason", "DealCancelled", { reason: "" }, "data.reason"],
    [
      "a non-boolean countsTowardQuota",
      "AdjustmentRecorded",
      { countsTowardQuota: "no" },
      "data.countsTowardQuota",
    ],
  ];
  it.each(broken)("rejects %s (%s) naming %s", (_name, type, patch, path) => {
    const issues = issuesOf(envelope(type, { ...VALID_EVENT_EXAMPLES[type], ...patch }));
    expect(issues.map((i) => i.path)).toContain(path);
    for (const issue of issues) expect(issue.rule.length).toBeGreaterThan(0);
  });
});

describe("envelope", () => {
  const valid = envelope("QuotaSet", VALID_EVENT_EXAMPLES.QuotaSet);
  const cases: [string, unknown, string][] = [
    ["an event id with a space", { ...valid, eventId: "evt 1" }, "eventId"],
    ["an empty event id", { ...valid, eventId: "" }, "eventId"],
    ["a misspelt eventId", { eventID: "x", type: valid.type, schemaVersion: 1, data: valid.data }, "eventID"],
    ["schemaVersion 0", { ...valid, schemaVersion: 0 }, "schemaVersion"],
    ["a fractional schemaVersion", { ...valid, schemaVersion: 1.5 }, "schemaVersion"],
    ["data that is an array", { ...valid, data: [] }, "data"],
    ["missing data", { eventId: "x", type: "QuotaSet", schemaVersion: 1 }, "data"],
    ["a float in metadata", { ...valid, metadata: { retry: 0.5 } }, "metadata.retry"],
    ["an empty type", { ...valid, type: "" }, "type"],
  ];
  it.each(cases)("rejects %s naming %s", (_name, raw, path) => {
    expect(paths(raw)).toContain(path);
  });

  it("an unknown event type is rejected naming type", () => {
    expect(issuesOf(envelope("DealReopened", {}, 1))).toEqual([
      { path: "type", rule: 'unknown event type "DealReopened"' },
    ]);
  });

  it("inherited property names are not event types", () => {
    for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty"])
      expect(paths(envelope(type, {}, 1))).toEqual(["type"]);
  });

  it("a future schemaVersion is rejected naming schemaVersion", () => {
    expect(paths(envelope("DealClosed", VALID_EVENT_EXAMPLES.DealClosed, 3))).toEqual(["schemaVersion"]);
    expect(paths(envelope("QuotaSet", VALID_EVENT_EXAMPLES.QuotaSet, 2))).toEqual(["schemaVersion"]);
  });

  it("a missing metadata becomes an empty object", () => {
    const { metadata: _m, ...bare } = valid;
    const result = parseEvent(bare);
    expect(result.ok && result.value.metadata).toEqual({});
  });

  it("non-object input is reported, not thrown", () => {
    for (const raw of [null, undefined, 42, "DealClosed", [], true]) {
      const result = parseEvent(raw);
      expect(result.ok).toBe(false);
    }
  });

  it("parseEventOrThrow throws an EventValidationError carrying the issues", () => {
    const raw = { ...valid, data: { ...VALID_EVENT_EXAMPLES.QuotaSet, amount: "-1" } };
    expect(() => parseEventOrThrow(raw)).toThrow(EventValidationError);
    try {
      parseEventOrThrow(raw);
    } catch (error) {
      expect((error as EventValidationError).issues.map((i) => i.path)).toEqual(["data.amount"]);
    }
    expect(parseEventOrThrow(valid)).toEqual(valid);
  });
});

describe("upcasting", () => {
  const v1 = {
    dealId: "deal-9",
    amount: "800.00",
    currency: "GBP",
    closeDate: "2025-11-20",
    product: "gadgets",
    repId: "rep-7",
  };

  it("DealClosed v1 becomes v2 with a single 100% split to its rep and dealType new", () => {
    expect(parseEvent(envelope("DealClosed", v1, 1))).toEqual({
      ok: true,
      value: envelope(
        "DealClosed",
        {
          dealId: "deal-9",
          amount: "800.00",
          currency: "GBP",
          closeDate: "2025-11-20",
          product: "gadgets",
          dealType: "new",
          splits: [{ repId: "rep-7", share: "1" }],
        },
        2,
      ),
    });
  });

  it("keeps a v1 dealType", () => {
    const result = parseEvent(envelope("DealClosed", { ...v1, dealType: "renewal" }, 1));
    expect(result.ok && result.value.data).toMatchObject({
      dealType: "renewal",
      splits: [{ repId: "rep-7", share: "1" }],
    });
  });

  it("validates the v1 body against the v1 schema, naming its fields", () => {
    const { repId: _r, ...noRep } = v1;
    expect(paths(envelope("DealClosed", noRep, 1))).toEqual(["data.repId"]);
    expect(paths(envelope("DealClosed", { ...v1, splits: [] }, 1))).toEqual(["data.splits"]);
  });

  it("a type without upcasters cannot be read at an older version that does not exist", () => {
    expect(paths(envelope("QuotaSet", VALID_EVENT_EXAMPLES.QuotaSet, 0))).toEqual(["schemaVersion"]);
  });
});
