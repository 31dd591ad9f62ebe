import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal } from "../money/decimal.js";
import { CanonicalEncodingError, canonicalJson, decodeCanonical } from "./canonical-json.js";

const jsonArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("canonical JSON", () => {
  it("encode → decode → encode gives identical bytes (200 runs)", () => {
    fc.assert(
      fc.property(jsonArb, (value) => {
        const once = canonicalJson(value);
        expect(canonicalJson(decodeCanonical(once))).toBe(once);
      }),
      { numRuns: 200 },
    );
  });

  it("does not depend on key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.maxSafeInteger()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
      { numRuns: 200 },
    );
  });

  it("writes decimals as plain strings and rejects floats naming the path", () => {
    expect(canonicalJson({ b: new Decimal("1e-7"), a: [1, new Decimal("1250.00")] })).toBe(
      '{"a":[1,"1250"],"b":"0.0000001"}',
    );
    expect(() => canonicalJson({ amount: { value: 0.1 } })).toThrow(CanonicalEncodingError);
    expect(() => canonicalJson({ amount: { value: 0.1 } })).toThrow("$.amount.value");
  });
});
