import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalBytes, canonicalJson, type JsonObject } from "../canonical/canonical-json.js";
import {
  attachStoredTexts,
  type ChainedEvent,
  chainEntryText,
  recordedChainHash,
  storedTextsOf,
} from "./chain-link.js";
import { chainHash, chainHashOfText, GENESIS_HASH } from "./sha256.js";

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "binary", maxLength: 12 }),
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;
const jsonObject = fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), jsonValue, {
  maxKeys: 4,
}) as fc.Arbitrary<JsonObject>;

const chainedEvent: fc.Arbitrary<ChainedEvent> = fc.record({
  streamId: fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
  streamPosition: fc.integer({ min: 1, max: 1_000_000 }),
  eventId: fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
  type: fc.string({ minLength: 1, maxLength: 12 }),
  schemaVersion: fc.integer({ min: 1, max: 100 }),
  data: jsonObject,
  metadata: jsonObject,
});

/** The definition: SHA-256(prev ‖ canonical UTF-8 bytes of exactly the seven chained fields). */
function definition(prevHash: string, e: ChainedEvent): string {
  const { streamId, streamPosition, eventId, type, schemaVersion, data, metadata } = e;
  return chainHash(
    prevHash,
    canonicalBytes({ streamId, streamPosition, eventId, type, schemaVersion, data, metadata }),
  );
}

const dealEvent: ChainedEvent = {
  streamId: "deal-1",
  streamPosition: 1,
  eventId: "e-1",
  type: "DealClosed",
  schemaVersion: 1,
  data: {},
  metadata: {},
};

const prevHash = fc.stringMatching(/^[0-9a-f]{64}$/);

describe("chain links", () => {
  it("law: chainEntryText over canonical data and metadata texts is the canonical JSON of the chained content", () => {
    fc.assert(
      fc.property(chainedEvent, (e) => {
        const { streamId, streamPosition, eventId, type, schemaVersion, data, metadata } = e;
        expect(chainEntryText(e, canonicalJson(data), canonicalJson(metadata))).toBe(
          canonicalJson({ streamId, streamPosition, eventId, type, schemaVersion, data, metadata }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("law: recordedChainHash is the definition, with and without stored canonical texts, and ignores other fields", () => {
    fc.assert(
      fc.property(chainedEvent, prevHash, (e, prev) => {
        const expected = definition(prev, e);
        const plain = { ...e, globalPosition: 7, recordedAt: "x" };
        expect(recordedChainHash(prev, plain, expected)).toBe(expected);
        const stored = attachStoredTexts({ ...e }, canonicalJson(e.data), canonicalJson(e.metadata));
        expect(recordedChainHash(prev, stored, expected)).toBe(expected);
        // A wrong recorded hash is answered with the recomputed one, whichever path ran.
        expect(recordedChainHash(prev, stored, GENESIS_HASH)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("a stored text of the same content in another form (order, spacing) still gives the canonical link", () => {
    const e: ChainedEvent = { ...dealEvent, data: { amount: "10.00", currency: "EUR" } };
    const expected = definition(GENESIS_HASH, e);
    const reformatted = attachStoredTexts({ ...e }, '{ "currency": "EUR", "amount": "10.00" }', "{ }");
    expect(recordedChainHash(GENESIS_HASH, reformatted, expected)).toBe(expected);
  });

  it("with stored texts, the link is checked over those bytes: what the store read is what was hashed", () => {
    // The texts are the store's promise that the objects are their parse; here they disagree on purpose,
    // to show which one a matching link is computed from.
    const e: ChainedEvent = { ...dealEvent, data: { amount: "10.00" } };
    const overText = chainHashOfText(GENESIS_HASH, chainEntryText(e, '{"amount":"99.00"}', "{}"));
    const withText = attachStoredTexts({ ...e }, '{"amount":"99.00"}', "{}");
    expect(recordedChainHash(GENESIS_HASH, withText, overText)).toBe(overText);
    expect(recordedChainHash(GENESIS_HASH, { ...e }, overText)).toBe(definition(GENESIS_HASH, e));
  });

  it("attached texts are invisible to keys, spreading, JSON and equality", () => {
    const e = { eventId: "e-1", data: { n: 1 }, metadata: {} };
    const stored = attachStoredTexts({ ...e }, '{"n":1}', "{}");
    expect(storedTextsOf(stored)).toEqual({ data: '{"n":1}', metadata: "{}" });
    expect(Object.keys(stored)).toEqual(Object.keys(e));
    expect(JSON.stringify(stored)).toBe(JSON.stringify(e));
    expect(storedTextsOf({ ...stored })).toBeUndefined();
    expect(stored).toEqual(e);
    expect(storedTextsOf(e)).toBeUndefined();
  });
});
