import type { EventData } from "../schemas/catalog.js";
import {
  isBusinessDate,
  isCurrency,
  isDecimalString,
  isId,
  isNonNegativeDecimalString,
  isShareString,
} from "../schemas/common.js";
import type { DomainEvent, EventMetadata } from "./envelope.js";
import { isPlainObject } from "./plain-object.js";

/**
 * The events a replay, a workspace's open and ingest parse by the hundred thousand (DealClosed,
 * PaymentReceived, DealCancelled), checked by hand: zod's parse cost ~10 µs and ~5 KB of garbage per event
 * over a default-size replay, 8 % of its CPU.
 *
 * Answers the parsed event exactly as zod's parse would (the same fields, values and key order), or
 * `undefined` when it is not sure: anything unusual (another type or schema version, a field of the wrong
 * type, an unknown key, metadata that is not flat text) goes to zod, which also words the errors. So this
 * may only ever accept less than zod does, never more; a law in fast-parse.unit.spec.ts holds it to that
 * over valid and broken events, and to accepting the valid ones.
 */
export function fastParseEvent(raw: unknown): DomainEvent | undefined {
  // Required keys are checked by their values below, so only unknown keys need looking for.
  if (!isPlainObject(raw) || !onlyKnownKeys(raw, ENVELOPE_KEYS)) return undefined;
  const { eventId, type, schemaVersion, data } = raw;
  if (!passes(eventId, isId) || !isPlainObject(data)) return undefined;
  let metadata: EventMetadata = {};
  if (Object.hasOwn(raw, "metadata")) {
    const copied = flatTextRecord(raw.metadata);
    if (copied === undefined) return undefined;
    metadata = copied;
  }
  let parsed: EventData[FastType] | undefined;
  if (type === "DealClosed" && schemaVersion === 2) parsed = dealClosed(data);
  else if (type === "PaymentReceived" && schemaVersion === 1) parsed = paymentReceived(data);
  else if (type === "DealCancelled" && schemaVersion === 1) parsed = dealCancelled(data);
  if (parsed === undefined) return undefined;
  return { eventId, type, schemaVersion, data: parsed, metadata } as DomainEvent;
}

type FastType = "DealClosed" | "PaymentReceived" | "DealCancelled";

const ENVELOPE_KEYS = new Set(["eventId", "type", "schemaVersion", "data", "metadata"]);

/** Every key is one of `allowed`, as a strict object requires. */
function onlyKnownKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/**
 * Metadata whose values are all strings, copied (zod's record copies); undefined for anything else,
 * including a `__proto__` key, which an assignment would not copy as a key.
 */
function flatTextRecord(value: unknown): EventMetadata | undefined {
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const key in value) {
    const v = value[key];
    if (typeof v !== "string" || key === "__proto__") return undefined;
    out[key] = v;
  }
  return out;
}

function text(value: unknown, minLength: number, maxLength: number): value is string {
  return typeof value === "string" && value.length >= minLength && value.length <= maxLength;
}

/** A string that passes the schema's own predicate. */
function passes(value: unknown, rule: (s: string) => boolean): value is string {
  return typeof value === "string" && rule(value);
}

const DEAL_CLOSED_KEYS = new Set([
  "dealId",
  "amount",
  "currency",
  "closeDate",
  "product",
  "dealType",
  "margin",
  "customer",
  "splits",
]);

function dealClosed(d: Record<string, unknown>): EventData["DealClosed"] | undefined {
  if (!onlyKnownKeys(d, DEAL_CLOSED_KEYS)) return undefined;
  const { dealId, amount, currency, closeDate, product, dealType, margin, customer } = d;
  if (
    !passes(dealId, isId) ||
    !passes(amount, isNonNegativeDecimalString) ||
    !passes(currency, isCurrency) ||
    !passes(closeDate, isBusinessDate) ||
    !text(product, 1, 100) ||
    !text(dealType, 1, 100)
  )
    return undefined;
  // An optional key present with `undefined` is kept as such by zod: rare, left to it.
  const hasMargin = Object.hasOwn(d, "margin");
  const hasCustomer = Object.hasOwn(d, "customer");
  if (hasMargin && !passes(margin, isDecimalString)) return undefined;
  if (hasCustomer && !text(customer, 0, 200)) return undefined;
  const splits = creditSplits(d.splits);
  if (splits === undefined) return undefined;
  // zod's key order: the schema's.
  return {
    dealId,
    amount,
    currency,
    closeDate,
    product,
    dealType,
    ...(hasMargin ? { margin: margin as string } : {}),
    ...(hasCustomer ? { customer: customer as string } : {}),
    splits,
  };
}

const SPLIT_KEYS = new Set(["repId", "share"]);
const MAX_SPLITS = 50;

function creditSplits(value: unknown): { repId: string; share: string }[] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_SPLITS) return undefined;
  const out: { repId: string; share: string }[] = [];
  for (let i = 0; i < value.length; i += 1) {
    const split: unknown = value[i];
    if (!isPlainObject(split) || !onlyKnownKeys(split, SPLIT_KEYS)) return undefined;
    const { repId, share } = split;
    if (!passes(repId, isId)) return undefined;
    if (!passes(share, isShareString)) return undefined;
    out.push({ repId, share });
  }
  return out;
}

const PAYMENT_KEYS = new Set(["paymentId", "dealId", "amount", "currency", "receivedDate"]);

function paymentReceived(d: Record<string, unknown>): EventData["PaymentReceived"] | undefined {
  if (!onlyKnownKeys(d, PAYMENT_KEYS)) return undefined;
  const { paymentId, dealId, amount, currency, receivedDate } = d;
  if (
    !passes(paymentId, isId) ||
    !passes(dealId, isId) ||
    !passes(amount, isNonNegativeDecimalString) ||
    !passes(currency, isCurrency) ||
    !passes(receivedDate, isBusinessDate)
  )
    return undefined;
  return { paymentId, dealId, amount, currency, receivedDate };
}

const CANCEL_KEYS = new Set(["dealId", "cancelDate", "reason"]);

function dealCancelled(d: Record<string, unknown>): EventData["DealCancelled"] | undefined {
  if (!onlyKnownKeys(d, CANCEL_KEYS)) return undefined;
  const { dealId, cancelDate, reason } = d;
  if (!passes(dealId, isId) || !passes(cancelDate, isBusinessDate) || !text(reason, 1, 500)) return undefined;
  return { dealId, cancelDate, reason };
}
