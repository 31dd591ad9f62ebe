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
  const parts: string[] = [];
  write(value, "$", parts);
  return parts.join("");
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
