import { sha256Hex, type ValidationIssue } from "@icm/events";

/** Who refused the input: the HTTP edge, the file importer, or the recorder writing to the event store. */
export type DeadLetterSource = "ingest" | "import" | "recorder";
export const DEAD_LETTER_SOURCES: readonly DeadLetterSource[] = ["import", "ingest", "recorder"];

/**
 * One refused input, kept verbatim with the reason, so nothing sent to the engine is ever lost and it can
 * be replayed after a fix (DOMAIN.md §2). Plain JSON; the body of a message in the dead-letter stream.
 */
export interface DeadLetterRecord {
  readonly reason: string;
  readonly issues?: readonly ValidationIssue[];
  readonly source: DeadLetterSource;
  /** The input exactly as received: the request body item, the file line, the NATS message body. */
  readonly original: string;
  /** `base64` when the input was not valid UTF-8 (then `original` holds its base64). */
  readonly originalEncoding: "utf8" | "base64";
  /**
   * The event built from the input, as JSON, when the input is not itself an event (a CSV row through a
   * column mapping). Replay validates this instead of `original`.
   */
  readonly candidate?: string;
  /** Edge clock; informational only, never used in a calculation. */
  readonly receivedAt: string;
  readonly eventId?: string;
  readonly subject?: string;
  readonly correlationId?: string;
  /** Import only: the file and 1-based line (CSV: the record's first line) of the input. */
  readonly file?: string;
  readonly line?: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The verbatim text of an input, or its base64 when it is not valid UTF-8. */
export function verbatim(
  input: string | Uint8Array,
): Pick<DeadLetterRecord, "original" | "originalEncoding"> {
  if (typeof input === "string") return { original: input, originalEncoding: "utf8" };
  try {
    return { original: strictUtf8.decode(input), originalEncoding: "utf8" };
  } catch {
    return { original: Buffer.from(input).toString("base64"), originalEncoding: "base64" };
  }
}

/** The Nats-Msg-Id of a dead letter: the same input refused twice inside the window is kept once. */
export function deadLetterMsgId(record: Pick<DeadLetterRecord, "original">): string {
  return `dead-${sha256Hex(record.original)}`;
}

/** The JSON text that replay re-validates. */
export function replayText(record: DeadLetterRecord): string | undefined {
  if (record.candidate !== undefined) return record.candidate;
  return record.originalEncoding === "utf8" ? record.original : undefined;
}

/** Drops undefined optional fields so the record is plain JSON under exactOptionalPropertyTypes. */
export function compactRecord(record: DeadLetterRecord): DeadLetterRecord {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out as unknown as DeadLetterRecord;
}

export function isDeadLetterRecord(value: unknown): value is DeadLetterRecord {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.reason === "string" &&
    typeof v.original === "string" &&
    (v.originalEncoding === "utf8" || v.originalEncoding === "base64") &&
    typeof v.receivedAt === "string" &&
    DEAD_LETTER_SOURCES.includes(v.source as DeadLetterSource)
  );
}
