import { Decimal as DecimalJs } from "decimal.js";

/** JSON values as they travel on the wire and are hashed: no floats, money as decimal strings. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export class CanonicalEncodingError extends Error {
  override readonly name = "CanonicalEncodingError";
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(`${path || "$"}: ${rule}`);
  }
}

/**
 * The canonical JSON encoding used by every hash and digest in the system.
 *
 * Rules (stable, so that two machines produce the same bytes for the same value):
 * - object keys sorted by UTF-16 code units (the JCS order); keys whose value is `undefined` are omitted;
 * - no insignificant whitespace; strings escaped exactly as `JSON.stringify` does;
 * - numbers must be safe integers (`-0` is written `0`); a fractional, non-finite or unsafe number is an
 *   error, because money and rates travel as decimal strings;
 * - a Decimal is written as its plain decimal string, a bigint as its decimal string;
 * - anything else (Date, Map, class instances, functions, `undefined` in arrays) is an error naming the path.
 */
export function canonicalJson(value: unknown): string {
  try {
    return write(value);
  } catch (error) {
    if (error instanceof Failure) {
      throw new CanonicalEncodingError(`$${error.segments.reverse().join("")}`, error.rule);
    }
    throw error;
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of the canonical encoding. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}

/** Decoding is plain JSON parsing: canonical output never contains a float, so nothing is lost. */
export function decodeCanonical(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}

/**
 * An encoding failure on its way up: it carries the rule and collects the path segments while the stack
 * unwinds, so that the path string is only built when something actually fails (building `$.a.b[3]` for
 * every value was a large share of the encoder's time). Not an Error: no stack trace is captured for it.
 */
class Failure {
  readonly segments: string[] = [];
  constructor(readonly rule: string) {}
}

/** decimal.js marks its prototype (shared by every `Decimal.clone`) with this; `isDecimal` accepts it too. */
const DECIMAL_TAG = "[object Decimal]";
/** Every clone (the @icm/events Decimal included) shares the prototype of the default constructor. */
const DECIMAL_PROTOTYPE: unknown = DecimalJs.prototype;

/**
 * Exactly the characters `JSON.stringify` escapes in a string: `"`, `\\`, U+0000–U+001F, and surrogates
 * (lone ones are escaped; well-formed pairs are not, but any surrogate sends the string to the slow path, which
 * decides). A string without them is written as is, which is much cheaper than calling JSON.stringify.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as canonical JSON (and JSON.stringify) writes it; shared with the engine's statement writer. */
export function quoteJsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

// Strings are built with `+=`: V8 concatenates into ropes that the final UTF-8 encoding flattens once,
// cheaper than collecting thousands of parts and joining them.
function write(value: unknown): string {
  switch (typeof value) {
    case "string":
      return quoteJsonString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new Failure(`number ${value} is not a safe integer; use a decimal string`);
      }
      // `-0 === 0`, so this also writes -0 as "0".
      return value === 0 ? "0" : `${value}`;
    case "bigint":
      return JSON.stringify(value.toString());
    case "object":
      break;
    default:
      throw new Failure(`${typeof value} is not encodable`);
  }
  if (value === null) return "null";
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype) {
    // A plain object is not `instanceof` Decimal, but `Decimal.isDecimal` also accepts this tag: keep that.
    if ((value as { toStringTag?: unknown }).toStringTag === DECIMAL_TAG) return writeDecimal(value);
    return writeObject(value as Record<string, unknown>);
  }
  if (proto === DECIMAL_PROTOTYPE) {
    const text = (value as DecimalJs).toFixed();
    if (!(value as DecimalJs).isFinite()) throw new Failure("decimal is not finite");
    // A finite decimal's plain notation is digits, "-" and "." only: nothing to escape.
    return text === "-0" ? '"0"' : `"${text}"`;
  }
  // Everything else takes the checks in the original order (decimal first, then array, then null-prototype).
  if (DecimalJs.isDecimal(value)) return writeDecimal(value);
  if (Array.isArray(value)) return writeArray(value);
  if (proto === null) return writeObject(value as Record<string, unknown>);
  throw new Failure("only plain objects, arrays, strings, integers and decimals are encodable");
}

function writeDecimal(value: unknown): string {
  // Written like the original (`value.toFixed()`) so that even a TypeError from a look-alike reads the same.
  const text = (value as DecimalJs).toFixed();
  if (!(value as DecimalJs).isFinite()) throw new Failure("decimal is not finite");
  return JSON.stringify(text === "-0" ? "0" : text);
}

function writeArray(value: readonly unknown[]): string {
  let index = 0;
  try {
    let out = "[";
    for (; index < value.length; index += 1) {
      const item: unknown = value[index];
      if (item === undefined) throw new Failure("undefined in an array");
      out += index === 0 ? write(item) : `,${write(item)}`;
    }
    return `${out}]`;
  } catch (error) {
    if (error instanceof Failure) error.segments.push(`[${index}]`);
    throw error;
  }
}

function writeObject(record: Record<string, unknown>): string {
  const keys = sortedKeys(record);
  let key = "";
  try {
    let out = "{";
    let first = true;
    for (let index = 0; index < keys.length; index += 1) {
      key = keys[index]!;
      const item = record[key];
      if (item === undefined) continue;
      out += first ? `${quoteJsonString(key)}:${write(item)}` : `,${quoteJsonString(key)}:${write(item)}`;
      first = false;
    }
    return `${out}}`;
  } catch (error) {
    if (error instanceof Failure) error.segments.push(`.${key}`);
    throw error;
  }
}

/** Objects with more keys than this are sorted every time: caching them could pin large key arrays. */
const MAX_CACHED_KEYS = 64;
/** Distinct first keys remembered; the cache is dropped whole when full (a bound, not an eviction policy). */
const MAX_SHAPE_BUCKETS = 256;
/** Key orders remembered per first key (e.g. an entry with and without its optional fields). */
const MAX_SHAPES_PER_BUCKET = 8;

interface Shape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
}
const shapes = new Map<string, Shape[]>();

/**
 * The object's own enumerable keys in UTF-16 code-unit order (exactly `Object.keys(record).sort()`).
 *
 * Sorting was a sixth of the encoder's time, and the same few object shapes recur thousands of times per
 * statement: keys already in order (e.g. anything decoded from canonical JSON) are returned as they are, and
 * the sorted order of a recently seen key sequence is reused. The cache maps a key sequence to its sorted
 * order, a pure function, so it cannot change any output.
 */
function sortedKeys(record: Record<string, unknown>): readonly string[] {
  const keys = Object.keys(record);
  const length = keys.length;
  let inOrder = true;
  for (let index = 1; index < length; index += 1) {
    // `>` on strings compares UTF-16 code units, the same order as the default sort.
    if (keys[index - 1]! > keys[index]!) {
      inOrder = false;
      break;
    }
  }
  if (inOrder) return keys;
  if (length > MAX_CACHED_KEYS) return keys.sort();
  const firstKey = keys[0]!;
  let bucket = shapes.get(firstKey);
  if (bucket === undefined) {
    if (shapes.size >= MAX_SHAPE_BUCKETS) shapes.clear();
    bucket = [];
    shapes.set(firstKey, bucket);
  } else {
    for (const shape of bucket) {
      if (shape.keys.length === length && sameKeys(shape.keys, keys)) return shape.sorted;
    }
    if (bucket.length >= MAX_SHAPES_PER_BUCKET) bucket.length = 0;
  }
  const sorted = keys.slice().sort();
  bucket.push({ keys, sorted });
  return sorted;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  for (let index = 1; index < a.length; index += 1) if (a[index] !== b[index]) return false;
  return true;
}
