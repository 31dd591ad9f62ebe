import { createHash } from "node:crypto";
import {
  CanonicalEncodingError,
  canonicalJson,
  type Decimal,
  formatDecimal,
  type JsonObject,
  type JsonValue,
  quoteJsonString,
  roundDecimal,
} from "@icm/events";
import { type CalculationException, ENTRY_KINDS, type LedgerEntry } from "../ledger/types.js";
import type { Statement } from "./types.js";

/** Attainment ratios are digested to this many places (money uses the plan scale). */
export const RATIO_SCALE = 6;

/**
 * The canonical form of a statement: the exact bytes a close digests and an auditor re-derives.
 *
 * - money as fixed strings at the statement's scale; attainment ratios at RATIO_SCALE (HALF_EVEN);
 * - entries keep the statement's business-time order; plans, attainment, exceptions and each trace's source
 *   event ids are sorted (they are sets);
 * - LOG POSITIONS ARE LEFT OUT (throughPosition, trace and exception positions, the close's position): a
 *   statement is a function of the facts, not of the order unrelated streams happened to interleave in the
 *   log, so the same facts recorded in another interleaving give the same digest. The close event records its
 *   throughPosition and chain head separately, which is what pins a digest to one log;
 * - `closed` is left out too: the close records the digest of the statement it froze, and the frozen
 *   statement read back later must hash to exactly that.
 */
export function canonicalStatement(s: Statement): JsonObject {
  const money = (d: Decimal) => formatDecimal(roundDecimal(d, s.scale, "HALF_EVEN"), s.scale);
  const balance = (b: Statement["openingBalance"]) => ({
    drawDeficit: money(b.drawDeficit),
    heldBack: money(b.heldBack),
  });
  const totals: JsonObject = {};
  for (const kind of ENTRY_KINDS) totals[kind] = money(s.totals[kind]);
  const out: JsonObject = {
    repId: s.repId,
    period: s.period,
    currency: s.currency,
    scale: s.scale,
    plans: [...s.plans]
      .sort((a, b) => compare(a.planId, b.planId) || a.version - b.version)
      .map((p) => ({ planId: p.planId, version: p.version })),
    openingBalance: balance(s.openingBalance),
    entries: s.entries.map((e) => canonicalEntry(e, s.scale)),
    totals,
    payable: money(s.payable),
    closingBalance: balance(s.closingBalance),
    attainment: [...s.attainment]
      .sort((a, b) => compare(a.quotaPeriod, b.quotaPeriod))
      .map((a) => {
        const line: JsonObject = { quotaPeriod: a.quotaPeriod, credit: money(a.credit) };
        if (a.quota !== undefined) line.quota = money(a.quota);
        if (a.ratio !== undefined)
          line.ratio = formatDecimal(roundDecimal(a.ratio, RATIO_SCALE, "HALF_EVEN"), RATIO_SCALE);
        return line;
      }),
    exceptions: s.exceptions
      .map(canonicalException)
      .sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b))),
  };
  return out;
}

export function canonicalEntry(e: LedgerEntry, scale: number): JsonObject {
  const trace: JsonObject = {
    sourceEventIds: [...new Set(e.trace.sourceEventIds)].sort(compare),
    inputs: sortedRecord(e.trace.inputs),
    arithmetic: e.trace.arithmetic,
    explanation: e.trace.explanation,
  };
  if (e.trace.planId !== undefined) trace.planId = e.trace.planId;
  if (e.trace.planVersion !== undefined) trace.planVersion = e.trace.planVersion;
  if (e.trace.component !== undefined) trace.component = e.trace.component;
  if (e.trace.band !== undefined) trace.band = e.trace.band;
  const out: JsonObject = {
    id: e.id,
    kind: e.kind,
    amount: formatDecimal(roundDecimal(e.amount, scale, "HALF_EVEN"), scale),
    currency: e.currency,
    period: e.period,
    businessDate: e.businessDate,
    trace,
  };
  if (e.quotaPeriod !== undefined) out.quotaPeriod = e.quotaPeriod;
  if (e.dealId !== undefined) out.dealId = e.dealId;
  return out;
}

function canonicalException(x: CalculationException): JsonObject {
  const out: JsonObject = {
    code: x.code,
    message: x.message,
    sourceEventIds: [...new Set(x.sourceEventIds)].sort(compare),
  };
  if (x.repId !== undefined) out.repId = x.repId;
  if (x.period !== undefined) out.period = x.period;
  if (x.dealId !== undefined) out.dealId = x.dealId;
  return out;
}

function sortedRecord(record: Readonly<Record<string, string>>): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(record).sort(compare)) {
    const value = record[key];
    if (value === undefined) continue;
    // Assigning "__proto__" would set the prototype and drop the key, while the digest writer keeps it:
    // define it as the own property it is (fast-check found the difference).
    if (key === "__proto__")
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SHA-256 (hex) of the canonical JSON of a statement: what PeriodClosed records per rep. */
export function statementDigest(s: Statement): string {
  // Hashed in chunks as it is written: a manager's statement is megabytes of JSON, never held whole. The
  // chunks (one per entry) are UTF-8 encoded into one reused buffer and the buffer is hashed when full:
  // concatenating strings and encoding each 64 KiB with TextEncoder cost about 2.4 times as much.
  const hash = createHash("sha256");
  const buffer = digestBuffer();
  let used = 0;
  writeStatement(s, (chunk) => {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
    if (used + chunk.length * 3 > buffer.length) {
      if (used > 0) hash.update(buffer.subarray(0, used));
      used = 0;
      if (chunk.length * 3 > buffer.length) {
        hash.update(chunk, "utf8");
        return;
      }
    }
    used += buffer.write(chunk, used, "utf8");
  });
  if (used > 0) hash.update(buffer.subarray(0, used));
  return hash.digest("hex");
}

/** Bytes of canonical JSON handed to the hash at a time; one buffer, reused (digests are synchronous). */
const DIGEST_BUFFER_BYTES = 192 * 1024;
let sharedDigestBuffer: Buffer | undefined;
function digestBuffer(): Buffer {
  sharedDigestBuffer ??= Buffer.allocUnsafe(DIGEST_BUFFER_BYTES);
  return sharedDigestBuffer;
}
/** Entry kinds in canonical key order (the order canonicalJson writes the totals in). */
const SORTED_KINDS = [...ENTRY_KINDS].sort(compare);

/**
 * `canonicalJson(canonicalStatement(s))`, byte for byte, written straight from the statement. Digesting is
 * done for every statement of a run (a manager's has one line per deal of their organisation), and building
 * the canonical object first and then walking it generically allocated a second copy of every statement.
 * Keys are written in canonical (sorted) order by hand; the unit spec checks the bytes against the generic
 * path.
 */
export function canonicalStatementJson(s: Statement): string {
  const parts: string[] = [];
  writeStatement(s, (chunk) => parts.push(chunk));
  return parts.join("");
}

/**
 * Writes the canonical JSON of a statement in order, one chunk per entry. Chunks always end between two
 * JSON tokens, and every string in them is escaped (so no chunk ends in half a surrogate pair): the UTF-8
 * of the chunks, concatenated, is the UTF-8 of the whole.
 */
function writeStatement(s: Statement, emit: (chunk: string) => void): void {
  const scale = s.scale;
  const money = moneyWriter(scale);
  const balance = (b: Statement["openingBalance"]) =>
    `{"drawDeficit":${str(money(b.drawDeficit))},"heldBack":${str(money(b.heldBack))}}`;
  let out = '{"attainment":[';
  const attainment =
    s.attainment.length > 1
      ? [...s.attainment].sort((a, b) => compare(a.quotaPeriod, b.quotaPeriod))
      : s.attainment;
  attainment.forEach((a, i) => {
    if (i > 0) out += ",";
    out += `{"credit":${str(money(a.credit))}`;
    if (a.quota !== undefined) out += `,"quota":${str(money(a.quota))}`;
    out += `,"quotaPeriod":${str(a.quotaPeriod)}`;
    if (a.ratio !== undefined)
      out += `,"ratio":${str(formatDecimal(roundDecimal(a.ratio, RATIO_SCALE, "HALF_EVEN"), RATIO_SCALE))}`;
    out += "}";
  });
  out += `],"closingBalance":${balance(s.closingBalance)},"currency":${str(s.currency)},"entries":[`;
  emit(out);
  for (let i = 0; i < s.entries.length; i += 1) {
    const json = entryJson(s.entries[i] as LedgerEntry, money, i);
    emit(i > 0 ? `,${json}` : json);
  }
  const exceptions = s.exceptions
    .map(canonicalException)
    .sort((a, b) => compare(JSON.stringify(a), JSON.stringify(b)));
  out = `],"exceptions":${canonicalJson(exceptions)},"openingBalance":${balance(s.openingBalance)}`;
  out += `,"payable":${str(money(s.payable))},"period":${str(s.period)},"plans":[`;
  const plans =
    s.plans.length > 1
      ? [...s.plans].sort((a, b) => compare(a.planId, b.planId) || a.version - b.version)
      : s.plans;
  plans.forEach((p, i) => {
    if (i > 0) out += ",";
    out += `{"planId":${str(p.planId)},"version":${int(p.version, () => `$.plans[${i}].version`)}}`;
  });
  out += `],"repId":${str(s.repId)},"scale":${int(scale, () => "$.scale")},"totals":{`;
  SORTED_KINDS.forEach((kind, i) => {
    out += `${i > 0 ? "," : ""}${str(kind)}:${str(money(s.totals[kind]))}`;
  });
  emit(`${out}}}`);
}

/** `canonicalJson(canonicalEntry(e, scale))` without the intermediate object. */
function entryJson(e: LedgerEntry, money: (d: Decimal) => string, index: number): string {
  const t = e.trace;
  let out = `{"amount":${str(money(e.amount))},"businessDate":${str(e.businessDate)},"currency":${str(e.currency)}`;
  if (e.dealId !== undefined) out += `,"dealId":${str(e.dealId)}`;
  out += `,"id":${str(e.id)},"kind":${str(e.kind)},"period":${str(e.period)}`;
  if (e.quotaPeriod !== undefined) out += `,"quotaPeriod":${str(e.quotaPeriod)}`;
  out += `,"trace":{"arithmetic":${str(t.arithmetic)}`;
  if (t.band !== undefined) out += `,"band":${str(t.band)}`;
  if (t.component !== undefined) out += `,"component":${str(t.component)}`;
  out += `,"explanation":${str(t.explanation)},"inputs":{`;
  let first = true;
  const shape = sortedKeys(t.inputs);
  const keys = shape.sorted;
  for (let k = 0; k < keys.length; k += 1) {
    const value = t.inputs[keys[k] as string];
    if (value === undefined) continue;
    // The quoted key is made once per shape: every line of a shape has the same keys.
    out += first ? (shape.quoted[k] as string) : `,${shape.quoted[k] as string}`;
    out += `:${str(value)}`;
    first = false;
  }
  out += "}";
  if (t.planId !== undefined) out += `,"planId":${str(t.planId)}`;
  if (t.planVersion !== undefined)
    out += `,"planVersion":${int(t.planVersion, () => `$.entries[${index}].trace.planVersion`)}`;
  out += `,"sourceEventIds":${stringArray(sortedUniqueIds(t.sourceEventIds))}}}`;
  return out;
}

/**
 * Money at the statement scale, as canonicalStatement writes it. A value that already has no more places
 * than the scale (every rounded ledger amount) needs no rounding: `toFixed(scale)` of it is the same text.
 */
function moneyWriter(scale: number): (d: Decimal) => string {
  const slow = (d: Decimal) => formatDecimal(roundDecimal(d, scale, "HALF_EVEN"), scale);
  if (!Number.isInteger(scale) || scale < 0 || scale > 18) return slow; // roundDecimal reports it
  return (d) => {
    if (!(d.decimalPlaces() <= scale)) return slow(d);
    const text = d.toFixed(scale);
    // decimal.js keeps the sign of negative zero ("-0.00"); formatDecimal drops it.
    return text.charCodeAt(0) === 45 && d.isZero() ? text.slice(1) : text;
  };
}

/**
 * The record's keys in canonical order. A statement's lines have inputs of a few shapes (one per line kind
 * and plan), interleaved in business-time order: the sorted order of the last few shapes is reused when the
 * keys match one, in the same order.
 */
const KEY_SHAPES = 8;
interface KeyShape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  /** `str(key)` of each sorted key. */
  readonly quoted: readonly string[];
}
const shapes: KeyShape[] = [];
let nextShape = 0;
function sortedKeys(record: Readonly<Record<string, string>>): KeyShape {
  const keys = Object.keys(record);
  for (const shape of shapes) if (sameKeys(shape.keys, keys)) return shape;
  const sorted = [...keys].sort(compare);
  const shape = { keys, sorted, quoted: sorted.map((key) => str(key)) };
  shapes[nextShape] = shape;
  nextShape = (nextShape + 1) % KEY_SHAPES;
  return shape;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Sorted and without duplicates, as canonicalEntry writes them (most lists already are). */
function sortedUniqueIds(ids: readonly string[]): readonly string[] {
  for (let i = 1; i < ids.length; i += 1) {
    if (!((ids[i - 1] as string) < (ids[i] as string))) return [...new Set(ids)].sort(compare);
  }
  return ids;
}

function stringArray(values: readonly string[]): string {
  let out = "[";
  for (let i = 0; i < values.length; i += 1) out += `${i > 0 ? "," : ""}${str(values[i])}`;
  return `${out}]`;
}

/** A string as canonicalJson writes it; anything else (not a string at run time) goes the generic way. */
function str(value: unknown): string {
  if (typeof value !== "string") return canonicalJson(value);
  return quoteJsonString(value);
}

/** A number as canonicalJson writes it (the path, for the error, is built only when there is one). */
function int(value: number, path: () => string): string {
  if (!Number.isSafeInteger(value))
    throw new CanonicalEncodingError(path(), `number ${value} is not a safe integer; use a decimal string`);
  return Object.is(value, -0) ? "0" : String(value);
}
