import { canonicalJson, issuesFromZod, type JsonObject, schemas } from "@icm/events";
import {
  AUDIT_BUNDLE_FORMAT,
  type AuditBundle,
  type AuditBundleHeader,
  type BundleChainHead,
  type RecordedEventLike,
} from "./types.js";

/**
 * Wire form of an audit bundle: JSON Lines. Line 1 is the header (format, close, closeEventId, chainHead);
 * every further line is one recorded event, in global order. Every line is canonical JSON and ends with
 * "\n". Lines rather than one JSON document so that a log of millions of events can be written and checked
 * as a stream, one event in memory at a time.
 *
 * Decoding is strict: a line must be exactly the canonical encoding of what it holds (so a bundle has one
 * byte form and can be hashed as a file), and every field is checked.
 */

export class BundleFormatError extends Error {
  override readonly name = "BundleFormatError";
  constructor(
    /** 1-based line number in the bundle. */
    readonly line: number,
    readonly path: string,
    readonly rule: string,
  ) {
    super(`line ${line}, ${path}: ${rule}`);
  }
}

/** Longest line the decoder accepts; a bound, so a corrupt file without newlines cannot exhaust memory. */
export const DEFAULT_MAX_LINE_CHARS = 16 * 1024 * 1024;

export function encodeBundleHeader(header: AuditBundleHeader): string {
  return canonicalJson({
    format: header.format,
    close: header.close,
    closeEventId: header.closeEventId,
    chainHead: { globalPosition: header.chainHead.globalPosition, hash: header.chainHead.hash },
  });
}

/** One event line (without the newline); any extra field such as the store's recordedAt is dropped. */
export function encodeBundleEvent(event: RecordedEventLike): string {
  return canonicalJson({
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    streamId: event.streamId,
    streamPosition: event.streamPosition,
    globalPosition: event.globalPosition,
    prevHash: event.prevHash,
    hash: event.hash,
  });
}

/** The bundle's lines, each ending with "\n"; events may be any iterable, e.g. a store read page by page. */
export function* bundleLines(
  header: AuditBundleHeader,
  events: Iterable<RecordedEventLike>,
): Generator<string> {
  yield `${encodeBundleHeader(header)}\n`;
  for (const event of events) yield `${encodeBundleEvent(event)}\n`;
}

export function encodeBundle(bundle: AuditBundle): string {
  return [...bundleLines(bundle, bundle.events)].join("");
}

export type BundleItem =
  | { readonly kind: "header"; readonly header: AuditBundleHeader }
  | { readonly kind: "event"; readonly event: RecordedEventLike };

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const HEADER_KEYS = ["chainHead", "close", "closeEventId", "format"];
const EVENT_KEYS = [
  "data",
  "eventId",
  "globalPosition",
  "hash",
  "metadata",
  "prevHash",
  "schemaVersion",
  "streamId",
  "streamPosition",
  "type",
];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes a bundle one line at a time (the first line must be the header). Feed it lines without their
 * newline; call `finish()` at the end of input.
 */
export class BundleLineDecoder {
  private lineNumber = 0;
  private headerSeen = false;

  line(text: string): BundleItem {
    this.lineNumber += 1;
    const raw = this.parse(text);
    let item: BundleItem;
    let canonical: string;
    if (this.headerSeen) {
      const event = this.event(raw);
      item = { kind: "event", event };
      canonical = encodeBundleEvent(event);
    } else {
      const header = this.header(raw);
      this.headerSeen = true;
      item = { kind: "header", header };
      canonical = encodeBundleHeader(header);
    }
    // One byte form per bundle: the line must be exactly the canonical encoding of what it holds.
    if (canonical !== text) this.fail("$", "line is not canonical JSON (sorted keys, no whitespace)");
    return item;
  }

  finish(): void {
    if (!this.headerSeen) throw new BundleFormatError(1, "$", "a bundle starts with a header line");
  }

  private fail(path: string, rule: string): never {
    throw new BundleFormatError(this.lineNumber, path, rule);
  }

  private parse(text: string): Record<string, unknown> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      this.fail("$", `not JSON: ${(error as Error).message}`);
    }
    if (!isPlainObject(raw)) this.fail("$", "must be a JSON object");
    return raw;
  }

  private exactKeys(raw: Record<string, unknown>, keys: readonly string[]): void {
    const found = Object.keys(raw).sort();
    if (found.join(",") !== keys.join(",")) {
      this.fail("$", `must have exactly the fields ${keys.join(", ")}; found ${found.join(", ")}`);
    }
  }

  private chainHead(value: unknown, path: string): BundleChainHead {
    if (!isPlainObject(value)) this.fail(path, "must be an object");
    const { globalPosition, hash } = value;
    if (!Number.isSafeInteger(globalPosition) || (globalPosition as number) < 0) {
      this.fail(`${path}.globalPosition`, "must be an integer from 0");
    }
    if (typeof hash !== "string" || !HEX_SHA256.test(hash))
      this.fail(`${path}.hash`, "must be a hex SHA-256");
    return { globalPosition: globalPosition as number, hash };
  }

  private header(raw: Record<string, unknown>): AuditBundleHeader {
    this.exactKeys(raw, HEADER_KEYS);
    if (raw.format !== AUDIT_BUNDLE_FORMAT) {
      this.fail(
        "format",
        `must be ${JSON.stringify(AUDIT_BUNDLE_FORMAT)}; found ${JSON.stringify(raw.format)}`,
      );
    }
    if (typeof raw.closeEventId !== "string" || raw.closeEventId.length === 0) {
      this.fail("closeEventId", "must be a non-empty string");
    }
    const close = schemas.PeriodClosed.safeParse(raw.close);
    if (!close.success) {
      const issue = issuesFromZod(close.error, "close")[0];
      this.fail(issue?.path ?? "close", issue?.rule ?? "must be a PeriodClosed body");
    }
    return {
      format: AUDIT_BUNDLE_FORMAT,
      close: close.data,
      closeEventId: raw.closeEventId,
      chainHead: this.chainHead(raw.chainHead, "chainHead"),
    };
  }

  private event(raw: Record<string, unknown>): RecordedEventLike {
    this.exactKeys(raw, EVENT_KEYS);
    const { eventId, type, schemaVersion, data, metadata, streamId, streamPosition, globalPosition } = raw;
    const { prevHash, hash } = raw;
    if (typeof eventId !== "string" || eventId.length === 0)
      this.fail("eventId", "must be a non-empty string");
    if (typeof type !== "string" || type.length === 0) this.fail("type", "must be a non-empty string");
    if (typeof streamId !== "string" || streamId.length === 0)
      this.fail("streamId", "must be a non-empty string");
    if (!Number.isSafeInteger(schemaVersion) || (schemaVersion as number) < 1) {
      this.fail("schemaVersion", "must be an integer from 1");
    }
    if (!Number.isSafeInteger(streamPosition) || (streamPosition as number) < 1) {
      this.fail("streamPosition", "must be an integer from 1");
    }
    if (!Number.isSafeInteger(globalPosition) || (globalPosition as number) < 1) {
      this.fail("globalPosition", "must be an integer from 1");
    }
    if (!isPlainObject(data)) this.fail("data", "must be an object");
    if (!isPlainObject(metadata)) this.fail("metadata", "must be an object");
    if (typeof prevHash !== "string" || !HEX_SHA256.test(prevHash))
      this.fail("prevHash", "must be a hex SHA-256");
    if (typeof hash !== "string" || !HEX_SHA256.test(hash)) this.fail("hash", "must be a hex SHA-256");
    return {
      eventId,
      type,
      schemaVersion: schemaVersion as number,
      data: data as JsonObject,
      metadata: metadata as JsonObject,
      streamId,
      streamPosition: streamPosition as number,
      globalPosition: globalPosition as number,
      prevHash,
      hash,
    };
  }
}

/** Decodes a whole bundle held in memory (for big logs use `decodeBundleStream`). */
export function decodeBundle(text: string): AuditBundle {
  if (text.length > 0 && !text.endsWith("\n")) {
    const lines = text.split("\n").length;
    throw new BundleFormatError(lines, "$", 'every line must end with "\\n"');
  }
  const lines = text.split("\n");
  lines.pop(); // the empty string after the final newline
  const decoder = new BundleLineDecoder();
  let header: AuditBundleHeader | undefined;
  const events: RecordedEventLike[] = [];
  for (const line of lines) {
    const item = decoder.line(line);
    if (item.kind === "header") header = item.header;
    else events.push(item.event);
  }
  decoder.finish();
  if (header === undefined) throw new BundleFormatError(1, "$", "a bundle starts with a header line");
  return { ...header, events };
}

/**
 * Decodes a bundle from a stream of text or byte chunks (a file read stream, an HTTP body), yielding the
 * header and then each event as soon as its line is complete. Memory is bounded by `maxLineChars`.
 */
export async function* decodeBundleStream(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  options: { readonly maxLineChars?: number } = {},
): AsyncGenerator<BundleItem> {
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const decoder = new BundleLineDecoder();
  let pending = "";
  let lineNumber = 0;
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : utf8.decode(chunk, { stream: true });
    let start = 0;
    let newline = pending.indexOf("\n", start);
    while (newline !== -1) {
      lineNumber += 1;
      if (newline - start > maxLineChars) {
        throw new BundleFormatError(lineNumber, "$", `line is longer than ${maxLineChars} characters`);
      }
      yield decoder.line(pending.slice(start, newline));
      start = newline + 1;
      newline = pending.indexOf("\n", start);
    }
    pending = pending.slice(start);
    if (pending.length > maxLineChars) {
      throw new BundleFormatError(lineNumber + 1, "$", `line is longer than ${maxLineChars} characters`);
    }
  }
  pending += utf8.decode();
  if (pending.length > 0) throw new BundleFormatError(lineNumber + 1, "$", 'every line must end with "\\n"');
  decoder.finish();
}
