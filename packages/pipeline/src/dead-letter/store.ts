import type { DomainEvent, ValidationIssue } from "@icm/events";
import type { JetStreamClient, JetStreamManager, StoredMsg } from "nats";
import { defaultValidator, type EventValidator } from "../ingest/validator.js";
import type { EventPublisher, PublishedEvent } from "../nats/publisher.js";
import { deadLetterSubject, type NatsTopology } from "../nats/topology.js";
import {
  compactRecord,
  type DeadLetterRecord,
  type DeadLetterSource,
  deadLetterMsgId,
  isDeadLetterRecord,
  replayText,
} from "./record.js";

export interface StoredDeadLetter {
  /** Sequence in the dead-letter stream: the handle for replay. */
  readonly seq: number;
  readonly record: DeadLetterRecord;
}

export interface ListOptions {
  readonly limit: number;
  readonly source?: DeadLetterSource;
  /** Start after this stream sequence (paging). */
  readonly afterSeq?: number;
}

export interface ReplayOptions {
  /** Where letters that are valid now are published (the event stream). */
  readonly republish: EventPublisher;
  /** Letters examined by one `replay("all")` call; run again for the rest. */
  readonly limit?: number;
  readonly source?: DeadLetterSource;
  /** Validate only: report what would be published, publish and acknowledge nothing. */
  readonly dryRun?: boolean;
}

export interface ReplayReport {
  /** Letters published (in a dry run: that would be; then `seq` is 0 and `duplicate` false). */
  readonly replayed: readonly (PublishedEvent & { readonly letterSeq: number })[];
  readonly stillInvalid: readonly {
    readonly seq: number;
    readonly reason: string;
    readonly issues: readonly ValidationIssue[];
  }[];
  /** Sequences asked for that hold no pending letter (already replayed, or never existed). */
  readonly missing: readonly number[];
}

/**
 * Replay re-validates what was refused: the original, or for import rows the event the mapping built
 * (`candidate`). A wrong mapping is fixed by re-importing the file with the corrected mapping (eventId
 * dedupe makes that safe), not by replay.
 *
 * A replayed letter is acknowledged by writing a history record (the letter, the event it became and the
 * event stream sequence) to `<prefix>.history.replayed` and then deleting the pending message. So the
 * pending set is simply "messages on `<prefix>.<source>`", and the audit trail of what was replayed stays.
 */
export interface ReplayedLetter {
  readonly letterSeq: number;
  readonly letter: DeadLetterRecord;
  readonly eventId: string;
  readonly eventSeq: number;
  readonly duplicate: boolean;
  readonly replayedAt: string;
}

export interface DeadLetterStore {
  add(record: DeadLetterRecord): Promise<{ seq: number; duplicate: boolean }>;
  list(options: ListOptions): Promise<StoredDeadLetter[]>;
  get(seq: number): Promise<StoredDeadLetter | undefined>;
  replay(target: number | "all", options: ReplayOptions): Promise<ReplayReport>;
  /** Replay history records (acknowledged letters), oldest first. */
  history(options: { limit: number; afterSeq?: number }): Promise<ReplayedLetter[]>;
}

export interface DeadLetterStoreOptions {
  readonly validate?: EventValidator;
  /** Edge clock for receivedAt / replayedAt stamps (informational only). */
  readonly now?: () => Date;
  readonly ackTimeoutMs?: number;
}

/** Upper bound on letters read or replayed per call, whatever the caller asks. */
export const MAX_DEAD_LETTERS_PER_CALL = 10_000;
const DEFAULT_REPLAY_LIMIT = 1_000;

function isNoMessage(error: unknown): boolean {
  const api = (error as { api_error?: { err_code?: number } }).api_error;
  // 10037 = JSNoMessageFoundErr.
  return api?.err_code === 10037 || /no message found/i.test((error as Error).message ?? "");
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function historySubject(topology: NatsTopology): string {
  return `${topology.deadLetterSubjectPrefix}.history.replayed`;
}

export function createDeadLetterStore(
  js: JetStreamClient,
  jsm: JetStreamManager,
  topology: NatsTopology,
  options: DeadLetterStoreOptions = {},
): DeadLetterStore {
  const validate = options.validate ?? defaultValidator;
  const now = options.now ?? (() => new Date());
  const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
  const stream = topology.deadLetterStreamName;
  const pendingPattern = `${topology.deadLetterSubjectPrefix}.*`;
  const historyPattern = historySubject(topology);

  // Next message at or after `seq` on `subject` (wildcards allowed), or undefined at the end of the stream.
  async function nextMessage(seq: number, subject: string): Promise<StoredMsg | undefined> {
    try {
      // STREAM.MSG.GET accepts next_by_subj; the client's type only lists seq / last_by_subj.
      return await jsm.streams.getMessage(stream, { seq, next_by_subj: subject } as unknown as {
        seq: number;
      });
    } catch (error) {
      if (isNoMessage(error)) return undefined;
      throw error;
    }
  }

  function decodeLetter(message: StoredMsg): StoredDeadLetter | undefined {
    const value: unknown = JSON.parse(decoder.decode(message.data));
    if (!isDeadLetterRecord(value)) return undefined;
    return { seq: message.seq, record: value };
  }

  async function list(listOptions: ListOptions): Promise<StoredDeadLetter[]> {
    const limit = Math.min(listOptions.limit, MAX_DEAD_LETTERS_PER_CALL);
    if (!(limit >= 1)) throw new RangeError("limit must be at least 1");
    const subject = listOptions.source ? deadLetterSubject(topology, listOptions.source) : pendingPattern;
    const out: StoredDeadLetter[] = [];
    let seq = (listOptions.afterSeq ?? 0) + 1;
    while (out.length < limit) {
      const message = await nextMessage(seq, subject);
      if (!message) break;
      const letter = decodeLetter(message);
      if (letter) out.push(letter);
      seq = message.seq + 1;
    }
    return out;
  }

  async function get(seq: number): Promise<StoredDeadLetter | undefined> {
    const message = await nextMessage(seq, pendingPattern);
    if (!message || message.seq !== seq) return undefined;
    return decodeLetter(message);
  }

  async function add(record: DeadLetterRecord): Promise<{ seq: number; duplicate: boolean }> {
    const clean = compactRecord(record);
    const ack = await js.publish(
      deadLetterSubject(topology, clean.source),
      encoder.encode(JSON.stringify(clean)),
      {
        msgID: deadLetterMsgId(clean),
        timeout: ackTimeoutMs,
      },
    );
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  function revalidate(
    letter: StoredDeadLetter,
  ): { ok: true; event: DomainEvent } | { ok: false; reason: string; issues: ValidationIssue[] } {
    const text = replayText(letter.record);
    if (text === undefined) {
      return {
        ok: false,
        reason: "input is not UTF-8 text",
        issues: [{ path: "$", rule: "must be UTF-8 JSON" }],
      };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        reason: "input is not JSON",
        issues: [{ path: "$", rule: `must be JSON: ${(error as Error).message}` }],
      };
    }
    const result = validate(raw);
    if (!result.ok) return { ok: false, reason: "event is still invalid", issues: result.issues };
    const correlationId = letter.record.correlationId;
    // The request's correlation id was added at the edge, after the verbatim copy was taken: restore it.
    if (correlationId !== undefined && result.value.metadata.correlationId === undefined) {
      return { ok: true, event: { ...result.value, metadata: { ...result.value.metadata, correlationId } } };
    }
    return { ok: true, event: result.value };
  }

  async function replay(target: number | "all", replayOptions: ReplayOptions): Promise<ReplayReport> {
    const missing: number[] = [];
    let letters: StoredDeadLetter[];
    if (target === "all") {
      const listOptions: ListOptions = { limit: replayOptions.limit ?? DEFAULT_REPLAY_LIMIT };
      letters = await list(
        replayOptions.source ? { ...listOptions, source: replayOptions.source } : listOptions,
      );
    } else {
      const letter = await get(target);
      if (letter) letters = [letter];
      else {
        letters = [];
        missing.push(target);
      }
    }
    const stillInvalid: { seq: number; reason: string; issues: ValidationIssue[] }[] = [];
    const valid: { letter: StoredDeadLetter; event: DomainEvent }[] = [];
    for (const letter of letters) {
      const outcome = revalidate(letter);
      if (outcome.ok) valid.push({ letter, event: outcome.event });
      else stillInvalid.push({ seq: letter.seq, reason: outcome.reason, issues: outcome.issues });
    }
    if (replayOptions.dryRun || valid.length === 0) {
      return {
        replayed: valid.map(({ letter, event }) => ({
          letterSeq: letter.seq,
          eventId: event.eventId,
          seq: 0,
          duplicate: false,
        })),
        stillInvalid,
        missing,
      };
    }
    // Publish first, acknowledge after: a crash in between leaves the letter pending, and replaying it
    // again is harmless (the event stream and the store both dedupe by eventId).
    const result = await replayOptions.republish.publish(valid.map((v) => v.event));
    const replayed: (PublishedEvent & { letterSeq: number })[] = [];
    for (let index = 0; index < valid.length; index += 1) {
      const { letter } = valid[index] as { letter: StoredDeadLetter };
      const published = result.published[index] as PublishedEvent;
      const history: ReplayedLetter = {
        letterSeq: letter.seq,
        letter: letter.record,
        eventId: published.eventId,
        eventSeq: published.seq,
        duplicate: published.duplicate,
        replayedAt: now().toISOString(),
      };
      await js.publish(historyPattern, encoder.encode(JSON.stringify(history)), {
        msgID: `replayed-${stream}-${letter.seq}`,
        timeout: ackTimeoutMs,
      });
      await jsm.streams.deleteMessage(stream, letter.seq, false);
      replayed.push({ ...published, letterSeq: letter.seq });
    }
    return { replayed, stillInvalid, missing };
  }

  async function history(historyOptions: { limit: number; afterSeq?: number }): Promise<ReplayedLetter[]> {
    const limit = Math.min(historyOptions.limit, MAX_DEAD_LETTERS_PER_CALL);
    const out: ReplayedLetter[] = [];
    let seq = (historyOptions.afterSeq ?? 0) + 1;
    while (out.length < limit) {
      const message = await nextMessage(seq, historyPattern);
      if (!message) break;
      out.push(JSON.parse(decoder.decode(message.data)) as ReplayedLetter);
      seq = message.seq + 1;
    }
    return out;
  }

  return { add, list, get, replay, history };
}

/** Builds a record stamped with the edge clock; undefined optional fields are dropped. */
export function deadLetterAt(now: Date, record: Omit<DeadLetterRecord, "receivedAt">): DeadLetterRecord {
  return compactRecord({ ...record, receivedAt: now.toISOString() } as DeadLetterRecord);
}
