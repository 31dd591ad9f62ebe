import fc from "fast-check";
import { CURRENCY_MINOR_UNITS } from "../money/currency.js";
import { EVENT_SCHEMAS, EVENT_TYPES, type EventType } from "../schemas/catalog.js";

/**
 * Valid events of every type, for the envelope's laws and the hand-written parse's (test support: no
 * product code imports it).
 */
export const idArb = fc.stringMatching(/^[\x21-\x7e]{1,24}$/);
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

export type DataArbs = { [K in EventType]: fc.Arbitrary<Record<string, unknown>> };
export const dataArbs: DataArbs = {
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

export const metadataArb = fc.record(
  { source: textArb(1), correlationId: idArb, causationId: idArb, actor: textArb(1), attempt: fc.nat() },
  { requiredKeys: [] },
);

export const validEventArb = fc.constantFrom(...EVENT_TYPES).chain((type) =>
  fc.record({
    eventId: idArb,
    type: fc.constant(type),
    schemaVersion: fc.constant(EVENT_SCHEMAS[type].schemaVersion),
    data: dataArbs[type],
    metadata: metadataArb,
  }),
);
