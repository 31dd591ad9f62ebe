import { Decimal as DecimalJs } from "decimal.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal } from "../money/decimal.js";
import { CanonicalEncodingError, canonicalJson } from "./canonical-json.js";

// ---------------------------------------------------------------------------------------------------------
// REFERENCE: the straightforward encoder that canonicalJson replaced for speed, kept verbatim. It defines the
// bytes every hash and digest in the system depends on; the fast encoder must agree with it on every output
// byte and on every error (class, path, rule).
// ---------------------------------------------------------------------------------------------------------
function referenceCanonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, "$", parts);
  return parts.join("");
}

function write(value: unknown, path: string, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalEncodingError(path, `number ${value} is not a safe integer; use a decimal string`);
      }
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "bigint":
      out.push(JSON.stringify(value.toString()));
      return;
    case "object":
      break;
    default:
      throw new CanonicalEncodingError(path, `${typeof value} is not encodable`);
  }
  if (value === null) {
    out.push("null");
    return;
  }
  if (DecimalJs.isDecimal(value)) {
    const text = (value as DecimalJs).toFixed();
    if (!(value as DecimalJs).isFinite()) throw new CanonicalEncodingError(path, "decimal is not finite");
    out.push(JSON.stringify(text === "-0" ? "0" : text));
    return;
  }
  if (Array.isArray(value)) {
    out.push("[");
    for (let index = 0; index < value.length; index += 1) {
      if (index > 0) out.push(",");
      const item: unknown = value[index];
      if (item === undefined) throw new CanonicalEncodingError(`${path}[${index}]`, "undefined in an array");
      write(item, `${path}[${index}]`, out);
    }
    out.push("]");
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalEncodingError(
      path,
      "only plain objects, arrays, strings, integers and decimals are encodable",
    );
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  out.push("{");
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (!first) out.push(",");
    first = false;
    out.push(JSON.stringify(key), ":");
    write(item, `${path}.${key}`, out);
  }
  out.push("}");
}
// ------------------------------------------ end of REFERENCE ------------------------------------------

type Outcome =
  | { readonly ok: string }
  | { readonly error: string; readonly message: string; readonly path?: string; readonly rule?: string };

function outcome(encode: (value: unknown) => string, value: unknown): Outcome {
  try {
    return { ok: encode(value) };
  } catch (error) {
    if (error instanceof CanonicalEncodingError) {
      return { error: error.constructor.name, message: error.message, path: error.path, rule: error.rule };
    }
    return { error: (error as Error).constructor.name, message: (error as Error).message };
  }
}

/** Code units that stress escaping and ordering: quotes, backslashes, controls, lone and paired surrogates. */
const awkwardUnit = fc.constantFrom(
  '"',
  "\\",
  "\u0000",
  "\b",
  "\n",
  "\u001f",
  "\u007f",
  "\u2028",
  "\ud800",
  "\udbff",
  "\udc00",
  "\udfff",
  "😀",
  "é",
  "1",
  "a",
);
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const textArb = fc.string({
  unit: fc.oneof(anyCodeUnit, awkwardUnit, fc.constantFrom("a", "b", "c")),
  maxLength: 8,
});
/** A small pool makes objects share keys in different orders and lengths, which the key-order cache sees. */
const keyArb = fc.oneof(
  fc.constantFrom("id", "kind", "amount", "a", "b", "B", "é", "😀", "0", "1", "2", "10", "__proto__", ""),
  textArb,
);

const decimalArb = fc
  .tuple(
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    fc.integer({ min: -12, max: 12 }),
    fc.boolean(),
    fc.constantFrom(
      "",
      "-0",
      "-0.00",
      "0.00",
      "1e-7",
      "1250.00",
      "-1e+40",
      "123456789012345678901234567890.5",
    ),
  )
  .map(([digits, exponent, useDefault, special]) => {
    const text = special === "" ? `${digits}e${exponent}` : special;
    return useDefault ? new DecimalJs(text) : new Decimal(text);
  });

const leafArb = fc.oneof(
  textArb,
  fc.maxSafeInteger(),
  fc.integer({ min: -3, max: 3 }),
  fc.constant(-0),
  fc.boolean(),
  fc.constant(null),
  decimalArb,
  fc.bigInt(),
);

class Point {
  x = 1;
}

/** Values canonical JSON must refuse (each with a known rule); `undefined` is refused only inside arrays. */
const poisonArb = fc.oneof(
  fc.double().filter((x) => !Number.isSafeInteger(x)),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    -(2 ** 53),
    0.5,
    undefined,
    Symbol("s"),
    () => 1,
    new Date(0),
    new Map(),
    new Set(),
    new Uint8Array(2),
    new Point(),
    new Decimal(Number.NaN),
    new Decimal(Number.POSITIVE_INFINITY),
    new DecimalJs(Number.NEGATIVE_INFINITY),
  ),
);

function treeArb(leaf: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 5 }),
      // Both prototypes: Object.prototype and (noNullPrototype: false) null-prototype dictionaries.
      fc.dictionary(keyArb, tie("value"), { maxKeys: 6, noNullPrototype: false }),
      // `undefined` values in objects are omitted, never an error.
      fc.dictionary(keyArb, fc.oneof(tie("value"), fc.constant(undefined)), { maxKeys: 4 }),
    ),
  })).value;
}

const jsonishArb = treeArb(leafArb);

/**
 * A copy of `tree` with `poison` put into its `choice`-th container (or wrapped with it when there is none), so
 * the value is always unencodable. Copies rather than mutates: fast-check reuses generated values to shrink.
 */
function poisoned(tree: unknown, poison: unknown, choice: number, key: string): unknown {
  let containers = 0;
  const count = (value: unknown): void => {
    if (typeof value !== "object" || value === null || DecimalJs.isDecimal(value)) return;
    containers += 1;
    for (const item of Object.values(value)) count(item);
  };
  count(tree);
  if (containers === 0 || poison === undefined) return [tree, poison];
  const target = choice % containers;
  let seen = 0;
  const copy = (value: unknown): unknown => {
    if (typeof value !== "object" || value === null || DecimalJs.isDecimal(value)) return value;
    const here = seen;
    seen += 1;
    if (Array.isArray(value)) {
      const items = value.map(copy);
      if (here === target) items.splice(choice % (items.length + 1), 0, poison);
      return items;
    }
    const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
    // defineProperty, not assignment, so that a "__proto__" key stays an own property.
    const define = (name: string, item: unknown) =>
      Object.defineProperty(out, name, { value: item, enumerable: true, configurable: true, writable: true });
    for (const name of Object.keys(value)) define(name, copy((value as Record<string, unknown>)[name]));
    if (here === target) define(key, poison);
    return out;
  };
  return copy(tree);
}

describe("canonicalJson equals the reference encoder", () => {
  it("writes the same bytes for arbitrary JSON-ish values (200 runs)", () => {
    fc.assert(
      fc.property(jsonishArb, (value) => {
        const expected = referenceCanonicalJson(value);
        expect(canonicalJson(value)).toBe(expected);
        // And again: the second call goes through the key-order cache the first one filled.
        expect(canonicalJson(value)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("throws the same error (class, path, rule) for unencodable values (200 runs)", () => {
    const anyLeafArb = fc.oneof({ weight: 6, arbitrary: leafArb }, { weight: 1, arbitrary: poisonArb });
    fc.assert(
      fc.property(treeArb(anyLeafArb), poisonArb, fc.nat(), keyArb, (tree, poison, choice, key) => {
        const value = poisoned(tree, poison, choice, key);
        const expected = outcome(referenceCanonicalJson, value);
        expect(expected).toHaveProperty("error", "CanonicalEncodingError");
        expect(outcome(canonicalJson, value)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("agrees on decimal look-alikes, objects inheriting from a Decimal and top-level non-values", () => {
    const tagged = { toStringTag: "[object Decimal]", toFixed: () => 'quo"te', isFinite: () => true };
    const values: unknown[] = [
      tagged,
      { nested: [tagged] },
      [{ toStringTag: "[object Decimal]" }],
      Object.create(new Decimal("12.50")),
      Object.create(null),
      Object.assign(Object.create(null), { b: 1, a: [Object.create(null)] }),
      undefined,
      Symbol("top"),
      0.1,
      -0,
      new Decimal("-0.000"),
      10n ** 40n,
      -(10n ** 40n),
    ];
    for (const value of values) {
      expect(outcome(canonicalJson, value)).toEqual(outcome(referenceCanonicalJson, value));
    }
  });

  it("stays equal while the key-order cache fills, overflows and is cleared", () => {
    // 300 first keys (more buckets than the cache holds) × 12 orders/lengths each (more than a bucket holds).
    const alphabet = ["z", "y", "x", "w", "v", "u", "t", "s", "r", "q", "p", "o"];
    for (let round = 0; round < 2; round += 1) {
      for (let first = 0; first < 300; first += 1) {
        for (let length = 1; length <= alphabet.length; length += 1) {
          const record: Record<string, number> = { [`k${first}`]: first };
          for (const key of alphabet.slice(0, length)) record[key] = length;
          const value = { outer: record, list: [record, { ...record, a: round }] };
          expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
        }
      }
    }
  });
});
