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

  it("sorts keys by UTF-16 code units, omits undefined values and normalises -0", () => {
    expect(canonicalJson({ z: 1, é: 2, "😀": 3, A: 4, a: undefined, n: -0 })).toBe(
      '{"A":4,"n":0,"z":1,"é":2,"😀":3}',
    );
    expect(canonicalJson({ big: 2n ** 70n, d: new Decimal("-0.00") })).toBe(
      '{"big":"1180591620717411303424","d":"0"}',
    );
  });

  const unencodable: [string, unknown, string][] = [
    ["a Date", { at: new Date(0) }, "$.at"],
    ["a Map", { m: new Map() }, "$.m"],
    ["undefined in an array", { list: [1, undefined] }, "$.list[1]"],
    ["a function", { f: () => 1 }, "$.f"],
    ["NaN", { x: [Number.NaN] }, "$.x[0]"],
    ["an unsafe integer", { x: 2 ** 53 }, "$.x"],
    ["an infinite Decimal", { x: new Decimal(Number.POSITIVE_INFINITY) }, "$.x"],
  ];
  it.each(unencodable)("rejects %s naming %s", (_name, value, path) => {
    let caught: unknown;
    try {
      canonicalJson(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CanonicalEncodingError);
    expect((caught as CanonicalEncodingError).path).toBe(path);
  });
});
