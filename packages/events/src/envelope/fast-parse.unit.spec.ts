import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_SCHEMAS, EVENT_TYPES } from "../schemas/catalog.js";
import { dataArbs, idArb } from "./arbitraries.js";
import { makeEvent, parseEvent, parseEventBySchema } from "./envelope.js";
import { fastParseEvent } from "./fast-parse.js";

const FAST_TYPES = ["DealClosed", "PaymentReceived", "DealCancelled"] as const;

/** Metadata as sources send it: text only (anything else is zod's to parse). */
const textMetadataArb = fc.dictionary(
  fc.constantFrom("source", "correlationId", "causationId", "actor", "x"),
  fc.string({ maxLength: 12 }),
  { maxKeys: 4 },
);

const fastEventArb = fc.constantFrom(...FAST_TYPES).chain((type) =>
  fc.record(
    {
      eventId: idArb,
      type: fc.constant(type),
      schemaVersion: fc.constant(EVENT_SCHEMAS[type].schemaVersion),
      data: dataArbs[type],
      metadata: textMetadataArb,
    },
    { requiredKeys: ["eventId", "type", "schemaVersion", "data"] },
  ),
);

const split = (repId: string, share: string) => ({ repId, share });

/** Values at the edge of some rule of the three schemas, and values of other types. */
const edgeValueArb = fc.oneof(
  {
    arbitrary: fc.constantFrom<unknown>(
      undefined,
      null,
      0,
      1,
      2,
      1.5,
      Number.NaN,
      "",
      " ",
      "a b",
      "é",
      "x".repeat(100),
      "x".repeat(101),
      "x".repeat(200),
      "x".repeat(201),
      "x".repeat(500),
      "x".repeat(501),
      "-1",
      "-0",
      "-1.50",
      "01",
      "1.",
      ".5",
      "1e5",
      "0",
      "0.0",
      "1.0",
      "1.5",
      "0.000001",
      "2",
      "usd",
      "XXX",
      "EUR",
      "2026-02-29",
      "2024-02-29",
      "2026-13-01",
      "0000-02-29",
      "2026-01-01T10:00:00+05:30",
      "2026-01-01T25:00:00Z",
      "2026-01-01T10:00:00",
      "DealClosed",
      "PaymentReceived",
      [],
      {},
      [split("r-1", "1")],
      [split("r-1", "0.5"), { repId: "r-2" }],
      Array.from({ length: 50 }, (_, i) => split(`r-${i}`, "0.02")),
      Array.from({ length: 51 }, (_, i) => split(`r-${i}`, "0.02")),
      new Date(0),
      Object.create(null) as object,
    ),
    weight: 5,
  },
  {
    arbitrary: fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true }),
    weight: 1,
  },
);

type Where = "envelope" | "data" | "split" | "metadata";
/** One field set or removed: the key is picked among the target's own keys and a few unknown ones. */
interface Mutation {
  readonly where: Where;
  readonly keyIndex: number;
  readonly value?: unknown;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record(
  {
    where: fc.oneof(
      { arbitrary: fc.constant<Where>("data"), weight: 4 },
      { arbitrary: fc.constant<Where>("split"), weight: 2 },
      { arbitrary: fc.constant<Where>("envelope"), weight: 1 },
      { arbitrary: fc.constant<Where>("metadata"), weight: 1 },
    ),
    keyIndex: fc.nat(),
    value: edgeValueArb,
  },
  // Without a value, the key is removed.
  { requiredKeys: ["where", "keyIndex"] },
);

const UNKNOWN_KEYS = ["extra", "__proto__", "Amount"];

/** The event with one field set or removed, built as JSON.parse would (so `__proto__` is an own key). */
function mutate(event: unknown, mutation: Mutation): unknown {
  const copy = structuredClone(event) as Record<string, unknown>;
  const asRecord = (v: unknown) =>
    typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
  const data = asRecord(copy.data);
  const splits = data?.splits;
  if (copy.metadata === undefined) copy.metadata = {};
  const targets: Record<Where, Record<string, unknown> | undefined> = {
    envelope: copy,
    data,
    split: Array.isArray(splits) ? asRecord(splits[0]) : undefined,
    metadata: asRecord(copy.metadata),
  };
  const target = targets[mutation.where];
  if (target === undefined) return copy;
  const keys = [...Object.keys(target), ...UNKNOWN_KEYS];
  const key = keys[mutation.keyIndex % keys.length] as string;
  if (!Object.hasOwn(mutation, "value")) delete target[key];
  else
    Object.defineProperty(target, key, {
      value: mutation.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

/** Whatever the fast path answers, zod answers the same (it may only decline). */
function agreesWithZod(raw: unknown): void {
  const fast = fastParseEvent(raw);
  if (fast === undefined) return;
  const bySchema = parseEventBySchema(raw);
  if (!bySchema.ok)
    throw new Error(`zod refused what the fast path took: ${JSON.stringify(bySchema.issues)}`);
  // Same values, same undefined-valued keys, same prototypes; and the same key order (JSON text).
  expect(fast).toStrictEqual(bySchema.value);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(bySchema.value));
}

describe("the hand-written parse of the frequent events", () => {
  it("takes every valid DealClosed, PaymentReceived and DealCancelled with text metadata, as zod parses it (500 runs)", () => {
    fc.assert(
      fc.property(fastEventArb, (event) => {
        expect(fastParseEvent(event)).toBeDefined();
        agreesWithZod(event);
      }),
      { numRuns: 500 },
    );
  });

  it("never takes what zod refuses, nor answers differently, over events broken one field at a time (3,000 runs)", () => {
    fc.assert(
      fc.property(fastEventArb, fc.array(mutationArb, { minLength: 1, maxLength: 2 }), (event, mutations) => {
        agreesWithZod(
          mutations.reduce<unknown>((raw, m) => mutate(raw as Record<string, unknown>, m), event),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it("agrees with zod on garbage and on every other event type (300 runs)", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true }), agreesWithZod),
      { numRuns: 300 },
    );
    for (const type of EVENT_TYPES.filter((t) => !(FAST_TYPES as readonly string[]).includes(t))) {
      expect(
        fastParseEvent({ eventId: "e-1", type, schemaVersion: EVENT_SCHEMAS[type].schemaVersion, data: {} }),
      ).toBeUndefined();
    }
  });

  const deal = makeEvent("DealClosed", "e-1", {
    dealId: "D-1",
    amount: "100.00",
    currency: "USD",
    closeDate: "2026-02-01",
    product: "p",
    dealType: "new",
    splits: [{ repId: "r-1", share: "1" }],
  });
  const payment = makeEvent("PaymentReceived", "e-2", {
    paymentId: "P-1",
    dealId: "D-1",
    amount: "10",
    currency: "EUR",
    receivedDate: "2026-03-01T09:30:00+01:00",
  });
  const cancel = makeEvent("DealCancelled", "e-3", {
    dealId: "D-1",
    cancelDate: "2026-03-02",
    reason: "churned",
  });
  const shares = (n: number) => Array.from({ length: n }, (_, i) => split(`r-${i}`, "0.02"));

  it.each<[string, Record<string, unknown>, string, unknown]>([
    ["an id of 200 characters", deal.data, "dealId", "D".repeat(200)],
    ["an id of 201 characters", deal.data, "dealId", "D".repeat(201)],
    ["a product of 100 characters", deal.data, "product", "p".repeat(100)],
    ["a product of 101 characters", deal.data, "product", "p".repeat(101)],
    ["an empty deal type", deal.data, "dealType", ""],
    ["a customer of 200 characters", deal.data, "customer", "c".repeat(200)],
    ["a customer of 201 characters", deal.data, "customer", "c".repeat(201)],
    ["an empty customer", deal.data, "customer", ""],
    ["a negative margin", deal.data, "margin", "-12.50"],
    ["a margin of 1e3", deal.data, "margin", "1e3"],
    ["a negative amount", deal.data, "amount", "-100.00"],
    ["50 splits", deal.data, "splits", shares(50)],
    ["51 splits", deal.data, "splits", shares(51)],
    ["no split", deal.data, "splits", []],
    ["a share of 1.000", deal.data, "splits", [split("r-1", "1.000")]],
    ["a share of 1.5", deal.data, "splits", [split("r-1", "1.5")]],
    ["a share of 0", deal.data, "splits", [split("r-1", "0.0")]],
    ["a close date of February 29 in a leap year", deal.data, "closeDate", "2028-02-29"],
    ["a close date of February 29 otherwise", deal.data, "closeDate", "2027-02-29"],
    ["a close instant without an offset", deal.data, "closeDate", "2026-02-01T10:00:00"],
    ["an unknown currency", payment.data, "currency", "XYZ"],
    ["a lower-case currency", payment.data, "currency", "eur"],
    ["a received instant at 24:00", payment.data, "receivedDate", "2026-03-01T24:00:00Z"],
    ["a reason of 500 characters", cancel.data, "reason", "r".repeat(500)],
    ["a reason of 501 characters", cancel.data, "reason", "r".repeat(501)],
    ["an empty reason", cancel.data, "reason", ""],
  ])("%s: taken exactly when zod takes it", (_name, data, key, value) => {
    const event = [deal, payment, cancel].find((e) => e.data === data) as { data: object };
    const raw = { ...event, data: { ...data, [key]: value } };
    expect(fastParseEvent(raw) !== undefined).toBe(parseEventBySchema(raw).ok);
    agreesWithZod(raw);
  });

  it("leaves to zod what it would copy differently: an optional key given as undefined, a __proto__ key, numbers in metadata", () => {
    const withUndefinedMargin = { ...deal, data: { ...deal.data, margin: undefined } };
    expect(fastParseEvent(withUndefinedMargin)).toBeUndefined();
    const parsed = parseEvent(withUndefinedMargin);
    expect(parsed.ok && Object.hasOwn(parsed.value.data, "margin")).toBe(true);

    const withProto = JSON.parse(
      `{"eventId":"e-1","type":"DealClosed","schemaVersion":2,"data":${JSON.stringify(deal.data)},"metadata":{"__proto__":"x","source":"crm"}}`,
    ) as unknown;
    expect(fastParseEvent(withProto)).toBeUndefined();
    expect(parseEvent(withProto)).toEqual(parseEventBySchema(withProto));

    const withNumber = { ...deal, metadata: { attempt: 2 } };
    expect(fastParseEvent(withNumber)).toBeUndefined();
    expect(parseEvent(withNumber)).toEqual({ ok: true, value: withNumber });
    // And an ordinary one is the fast path's: what parseEvent answers.
    expect(fastParseEvent(deal)).toEqual(deal);
    expect(parseEvent(deal)).toEqual({ ok: true, value: deal });
  });
});
