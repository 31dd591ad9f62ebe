import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import { canonicalJson, type DomainEvent, EVENT_SCHEMAS, sha256Hex, type ValidationIssue } from "@icm/events";
import { parse } from "csv-parse";
import type { DeadLetterRecord } from "../dead-letter/record.js";
import type { DeadLetterStore } from "../dead-letter/store.js";
import { summarizeIssues } from "../ingest/batch.js";
import { defaultValidator, type EventValidator } from "../ingest/validator.js";
import type { EventPublisher } from "../nats/publisher.js";
import { applyMapping, type ColumnMapping, type Row, rowFromObject } from "./mapping.js";

export type ImportFormat = "csv" | "jsonl";

export interface ImportProgress {
  readonly lines: number;
  readonly published: number;
  readonly duplicates: number;
  readonly invalid: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface InvalidLine {
  /** 1-based line of the file where the record starts. */
  readonly line: number;
  readonly eventId?: string;
  readonly issues: readonly ValidationIssue[];
}

export interface ImportSummary {
  /** Records read: CSV data rows (not the header), non-empty JSONL lines. */
  readonly lines: number;
  /** Events newly stored in the event stream. */
  readonly published: number;
  /** Events the stream already had (an earlier import of the same rows): acknowledged, not stored again. */
  readonly duplicates: number;
  /** All invalid records; each was dead-lettered. */
  readonly invalidCount: number;
  /** The first `maxReportedInvalid` invalid records, in file order. */
  readonly invalid: readonly InvalidLine[];
}

export interface ImportOptions {
  readonly path: string;
  readonly format: ImportFormat;
  /** CSV: required. JSONL: optional; without it every line must be an event. */
  readonly mapping?: ColumnMapping;
  readonly publisher: EventPublisher;
  readonly deadLetters: Pick<DeadLetterStore, "add">;
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly validate?: EventValidator;
  /** Events published (and acknowledged) per batch. */
  readonly batchSize?: number;
  readonly maxReportedInvalid?: number;
  /** eventIds remembered to catch one eventId with two different contents in a file; oldest forgotten first. */
  readonly maxRememberedEventIds?: number;
  readonly now?: () => Date;
  /** Put into each event's metadata.correlationId when absent: ties every event to this import run. */
  readonly correlationId?: string;
}

/** One record read from the file, before mapping and validation. */
interface SourceRecord {
  readonly line: number;
  /** The exact text of the record in the file (for the dead-letter store). */
  readonly text: string;
  /** Parsed input, or the reason it could not be parsed. */
  readonly input: { ok: true; row?: Row; value?: unknown } | { ok: false; issues: ValidationIssue[] };
}

async function* csvRecords(path: string): AsyncGenerator<SourceRecord> {
  const parser = parse({
    columns: true,
    bom: true,
    raw: true,
    info: true,
    skip_empty_lines: true,
    // A malformed record (bad quoting, wrong number of cells) is reported and dead-lettered, not fatal.
    skip_records_with_error: true,
  });
  const skipped: SourceRecord[] = [];
  parser.on("skip", (error: Error & { raw?: string; lines?: number }) => {
    const text = (error.raw ?? "").replace(/^[\r\n]+/, "").replace(/[\r\n]+$/, "");
    const endLine = error.lines ?? 0;
    skipped.push({
      line: Math.max(1, endLine - (text.match(/\n/g)?.length ?? 0)),
      text,
      input: {
        ok: false,
        issues: [{ path: "$", rule: `must be a well-formed CSV record: ${error.message}` }],
      },
    });
  });
  const file = createReadStream(path);
  // pipe() does not forward errors: without this a read error mid-file would leave the parser waiting.
  file.on("error", (error) => parser.destroy(error));
  file.pipe(parser);
  for await (const item of parser as AsyncIterable<{ record: Row; raw: string; info: { lines: number } }>) {
    while (skipped.length > 0) yield skipped.shift() as SourceRecord;
    const text = item.raw.replace(/^[\r\n]+/, "").replace(/[\r\n]+$/, "");
    const line = item.info.lines - (text.match(/\n/g)?.length ?? 0);
    yield { line, text, input: { ok: true, row: item.record } };
  }
  while (skipped.length > 0) yield skipped.shift() as SourceRecord;
}

async function* jsonlRecords(path: string): AsyncGenerator<SourceRecord> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    const body = line === 1 ? text.replace(/^\uFEFF/, "") : text;
    if (body.trim() === "") continue;
    try {
      yield { line, text: body, input: { ok: true, value: JSON.parse(body) as unknown } };
    } catch (error) {
      yield {
        line,
        text: body,
        input: { ok: false, issues: [{ path: "$", rule: `must be JSON: ${(error as Error).message}` }] },
      };
    }
  }
}

function currentVersionOf(type: string): number | undefined {
  return Object.hasOwn(EVENT_SCHEMAS, type)
    ? EVENT_SCHEMAS[type as keyof typeof EVENT_SCHEMAS].schemaVersion
    : undefined;
}

/**
 * Imports a CRM export. Streams the file, builds an event per record (JSONL lines are events, or rows
 * through a mapping), validates each, publishes the valid ones in batches of `batchSize` awaiting every
 * ack, and dead-letters each invalid record verbatim with its line and issues. Unlike an HTTP batch, a
 * file is not all-or-nothing: it may hold millions of independent rows, and the summary plus the dead
 * letters say exactly which were refused. Re-running an import is safe: events dedupe by eventId.
 */
export async function importFile(options: ImportOptions): Promise<ImportSummary> {
  const validate = options.validate ?? defaultValidator;
  const batchSize = options.batchSize ?? 500;
  const maxReportedInvalid = options.maxReportedInvalid ?? 1_000;
  const maxRemembered = options.maxRememberedEventIds ?? 100_000;
  const now = options.now ?? (() => new Date());
  if (!(batchSize >= 1 && batchSize <= 10_000)) throw new RangeError("batchSize must be 1..10000");
  if (options.format === "csv" && !options.mapping)
    throw new RangeError("a CSV import needs a column mapping");
  const totalBytes = (await stat(options.path)).size;
  const file = basename(options.path);

  let lines = 0;
  let published = 0;
  let duplicates = 0;
  let invalidCount = 0;
  let bytesRead = 0;
  const invalid: InvalidLine[] = [];
  const remembered = new Map<string, { line: number; digest: string }>();
  let batch: DomainEvent[] = [];

  const progress = () =>
    options.onProgress?.({ lines, published, duplicates, invalid: invalidCount, bytesRead, totalBytes });

  const flush = async () => {
    if (batch.length === 0) return;
    const result = await options.publisher.publish(batch);
    published += result.stored;
    duplicates += result.duplicates;
    batch = [];
    progress();
  };

  const refuse = async (
    record: SourceRecord,
    issues: readonly ValidationIssue[],
    candidate?: unknown,
    eventId?: string,
  ) => {
    invalidCount += 1;
    if (invalid.length < maxReportedInvalid) {
      invalid.push(
        eventId === undefined ? { line: record.line, issues } : { line: record.line, eventId, issues },
      );
    }
    const letter: Omit<DeadLetterRecord, "receivedAt"> = {
      reason: `invalid record at ${file}:${record.line}: ${summarizeIssues(issues)}`,
      issues,
      source: "import",
      original: record.text,
      originalEncoding: "utf8",
      file,
      line: record.line,
      ...(candidate === undefined ? {} : { candidate: JSON.stringify(candidate) }),
      ...(eventId === undefined ? {} : { eventId }),
      ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
    };
    await options.deadLetters.add({ ...letter, receivedAt: now().toISOString() });
  };

  const records = options.format === "csv" ? csvRecords(options.path) : jsonlRecords(options.path);
  for await (const record of records) {
    lines += 1;
    bytesRead += Buffer.byteLength(record.text) + 1;
    if (!record.input.ok) {
      await refuse(record, record.input.issues);
      continue;
    }
    let raw: unknown = record.input.value;
    let candidate: unknown;
    if (options.mapping) {
      const row = record.input.row ?? rowFromObject(record.input.value);
      if (!row) {
        await refuse(record, [{ path: "$", rule: "must be a JSON object of column values" }]);
        continue;
      }
      raw = applyMapping(options.mapping, row, currentVersionOf);
      candidate = raw;
    }
    const claimedId =
      typeof raw === "object" && raw !== null && typeof (raw as { eventId?: unknown }).eventId === "string"
        ? (raw as { eventId: string }).eventId
        : undefined;
    const result = validate(raw);
    if (!result.ok) {
      await refuse(record, result.issues, candidate, claimedId);
      continue;
    }
    const event =
      options.correlationId !== undefined && result.value.metadata.correlationId === undefined
        ? ({
            ...result.value,
            metadata: { ...result.value.metadata, correlationId: options.correlationId },
          } as DomainEvent)
        : result.value;
    const digest = sha256Hex(canonicalJson(event));
    const earlier = remembered.get(event.eventId);
    if (earlier && earlier.digest !== digest) {
      await refuse(
        record,
        [{ path: "eventId", rule: `repeats the eventId of line ${earlier.line} with different content` }],
        candidate,
        event.eventId,
      );
      continue;
    }
    if (!earlier) {
      remembered.set(event.eventId, { line: record.line, digest });
      if (remembered.size > maxRemembered) remembered.delete(remembered.keys().next().value as string);
    }
    batch.push(event);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  bytesRead = totalBytes;
  progress();
  return { lines, published, duplicates, invalidCount, invalid };
}
