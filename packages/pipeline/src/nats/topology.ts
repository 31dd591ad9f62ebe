import { randomBytes } from "node:crypto";
import { DiscardPolicy, type JetStreamManager, nanos, RetentionPolicy, StorageType } from "nats";

/**
 * Where events and dead letters live in NATS JetStream. One stream for accepted events (subject per event
 * type, so consumers can filter) and one for dead letters (subject per source), so a flood of bad input
 * can never crowd valid events out of their stream's limits.
 */
export interface NatsTopology {
  readonly streamName: string;
  readonly subjectPrefix: string;
  readonly deadLetterStreamName: string;
  readonly deadLetterSubjectPrefix: string;
}

export function defaultTopology(): NatsTopology {
  return {
    streamName: "ICM_EVENTS",
    subjectPrefix: "icm.events",
    deadLetterStreamName: "ICM_DEAD_LETTERS",
    deadLetterSubjectPrefix: "icm.dead",
  };
}

/**
 * A topology with names no other test run uses, so suites can run in parallel against one server. A random
 * suffix is added here (not via @icm/testing, which pulls in vitest), so `name` may be a plain label or
 * already unique from uniqueTestName.
 */
export function testTopology(name: string): NatsTopology {
  const unique = `${name.replace(/[^a-zA-Z0-9_]/g, "_")}_${randomBytes(4).toString("hex")}`;
  return {
    streamName: `ICM_EVENTS_${unique}`,
    subjectPrefix: `icmtest.${unique}.events`,
    deadLetterStreamName: `ICM_DEAD_LETTERS_${unique}`,
    deadLetterSubjectPrefix: `icmtest.${unique}.dead`,
  };
}

export function eventSubject(topology: NatsTopology, type: string): string {
  return `${topology.subjectPrefix}.${type}`;
}

export function deadLetterSubject(topology: NatsTopology, source: string): string {
  return `${topology.deadLetterSubjectPrefix}.${source}`;
}

/**
 * Stream limits. Both streams discard NEW messages when full: a full stream refuses the publish (the
 * sender sees an error and retries later) instead of silently dropping the oldest, un-recorded events.
 */
export interface StreamLimits {
  /** Window in which a repeated Nats-Msg-Id is acknowledged as a duplicate and not stored again. */
  readonly duplicateWindowMs: number;
  readonly maxEventBytes: number;
  readonly maxMessageBytes: number;
  readonly maxDeadLetterBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  duplicateWindowMs: 2 * 60_000,
  maxEventBytes: 8 * 1024 ** 3,
  // One event (or one verbatim dead letter) is at most 1 MiB, the NATS default max_payload.
  maxMessageBytes: 1024 * 1024,
  maxDeadLetterBytes: 1024 ** 3,
};

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (error) {
    if (isStreamNotFound(error)) return false;
    throw error;
  }
}

export function isStreamNotFound(error: unknown): boolean {
  const api = (error as { api_error?: { err_code?: number } }).api_error;
  // 10059 = JSStreamNotFoundErr.
  return api?.err_code === 10059 || /stream not found/i.test((error as Error).message ?? "");
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subject: string,
  maxBytes: number,
  limits: StreamLimits,
): Promise<void> {
  const config = {
    name,
    subjects: [subject],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    duplicate_window: nanos(limits.duplicateWindowMs),
    max_bytes: maxBytes,
    max_msg_size: limits.maxMessageBytes,
    num_replicas: 1,
  };
  if (await streamExists(jsm, name)) {
    // Existing streams keep their data; only limits that the operator may have tuned are re-applied.
    await jsm.streams.update(name, config);
    return;
  }
  try {
    await jsm.streams.add(config);
  } catch (error) {
    // Two processes starting at once: the other one created it first.
    if (await streamExists(jsm, name)) return;
    throw error;
  }
}

/** Creates both streams if missing (idempotent; safe to call at every start). */
export async function ensureStreams(
  jsm: JetStreamManager,
  topology: NatsTopology,
  limits: StreamLimits = DEFAULT_STREAM_LIMITS,
): Promise<void> {
  await ensureStream(jsm, topology.streamName, `${topology.subjectPrefix}.>`, limits.maxEventBytes, limits);
  await ensureStream(
    jsm,
    topology.deadLetterStreamName,
    `${topology.deadLetterSubjectPrefix}.>`,
    limits.maxDeadLetterBytes,
    limits,
  );
}

/** True when both streams exist: the readiness condition of every pipeline process. */
export async function streamsExist(jsm: JetStreamManager, topology: NatsTopology): Promise<boolean> {
  return (
    (await streamExists(jsm, topology.streamName)) && (await streamExists(jsm, topology.deadLetterStreamName))
  );
}

/** Deletes both streams (test cleanup). Missing streams are not an error. */
export async function deleteStreams(jsm: JetStreamManager, topology: NatsTopology): Promise<void> {
  for (const name of [topology.streamName, topology.deadLetterStreamName]) {
    try {
      await jsm.streams.delete(name);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
  }
}
