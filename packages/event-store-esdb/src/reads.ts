import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  FORWARDS,
  type ResolvedEvent,
  StreamNotFoundError,
} from "@eventstore/db-client";
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
  type ReadStreamResult,
  type RecordedEvent,
} from "@icm/event-store";
import {
  globalPositionOfRecord,
  readEnvelope,
  type StoredEnvelope,
  streamPositionOf,
  toRecordedEvent,
} from "./envelope.js";
import { allFrom, drain, type EsdbClient } from "./esdb-io.js";
import { esdbStreamName } from "./ids.js";

/** Upper bound on raw $all records one readAll page scans (foreign, system and filtered-out events). */
const MAX_SCAN_PER_PAGE = MAX_PAGE_SIZE;

/**
 * One stream, with revisions normalised (ESDB counts from 0, we from 1) and a missing stream answered as
 * `streamExists: false` instead of ESDB's StreamNotFoundError (contract #12). Global positions come from
 * `globalPositionFor`: ESDB reports commit positions only when reading $all.
 */
export async function readStreamEvents(
  client: EsdbClient,
  namespace: string,
  streamId: string,
  options: ReadStreamOptions,
  globalPositionFor: (eventId: string) => Promise<number>,
): Promise<ReadStreamResult> {
  for (const key of ["from", "to", "maxCount"] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new RangeError(`readStream ${key} must be an integer >= 0, got ${value}`);
    }
  }
  const name = esdbStreamName(namespace, streamId);
  let current = 0;
  try {
    await drain(
      client.readStream(name, { direction: BACKWARDS, fromRevision: END, maxCount: 1n }),
      (resolved: ResolvedEvent) => {
        if (resolved.event !== undefined) current = streamPositionOf(resolved.event.revision);
      },
    );
  } catch (error) {
    if (error instanceof StreamNotFoundError) return { streamExists: false, currentRevision: 0, events: [] };
    throw error;
  }
  if (current === 0) return { streamExists: false, currentRevision: 0, events: [] };
  const backwards = options.direction === "backwards";
  const first = backwards ? Math.min(current, options.from ?? current) : Math.max(1, options.from ?? 1);
  const last = backwards ? Math.max(1, options.to ?? 1) : Math.min(current, options.to ?? current);
  const count = Math.min(
    options.maxCount ?? Number.POSITIVE_INFINITY,
    backwards ? first - last + 1 : last - first + 1,
  );
  const collected: { event: NonNullable<ResolvedEvent["event"]>; envelope: StoredEnvelope }[] = [];
  if (count > 0) {
    await drain(
      client.readStream(name, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: BigInt(first - 1),
        maxCount: BigInt(count),
      }),
      (resolved: ResolvedEvent) => {
        const event = resolved.event;
        if (event === undefined) return;
        const envelope = readEnvelope(event, namespace);
        if (envelope === undefined)
          throw new Error(`stream ${name} holds an event that is not ours at revision ${event.revision}`);
        collected.push({ event, envelope });
        return collected.length < count;
      },
    );
  }
  const events: RecordedEvent[] = [];
  for (const { event, envelope } of collected) {
    events.push(toRecordedEvent(event, envelope, await globalPositionFor(envelope.eventId)));
  }
  return { streamExists: true, currentRevision: current, events };
}

/**
 * One page of $all after an exclusive checkpoint, keeping only the namespace's events. At most
 * MAX_SCAN_PER_PAGE raw records are scanned, so system events and other namespaces cannot stall a page.
 */
export async function readAllPage(
  client: EsdbClient,
  namespace: string,
  options: ReadAllOptions,
): Promise<ReadAllPage> {
  const after = options.after ?? 0;
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(after) || after < 0)
    throw new RangeError(`readAll after must be an integer >= 0, got ${after}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RangeError(`readAll limit must be 1..${MAX_PAGE_SIZE}, got ${limit}`);
  }
  const types = options.eventTypes === undefined ? undefined : new Set(options.eventTypes);
  const events: RecordedEvent[] = [];
  let checkpoint = after;
  let lastOwn = after;
  let scanned = 0;
  let more = false;
  // +2: the record at `after` itself (fromPosition is inclusive) and one more to tell whether we are at the end.
  await drain(
    client.readAll({
      fromPosition: allFrom(after),
      direction: FORWARDS,
      maxCount: BigInt(MAX_SCAN_PER_PAGE + 2),
    }),
    (resolved: AllStreamResolvedEvent) => {
      const event = resolved.event;
      if (event === undefined) return;
      const globalPosition = globalPositionOfRecord(event.position);
      if (globalPosition <= after) return;
      if (scanned >= MAX_SCAN_PER_PAGE || events.length >= limit) {
        more = true;
        return false;
      }
      scanned += 1;
      checkpoint = globalPosition;
      const envelope = readEnvelope(event, namespace);
      if (envelope === undefined) return;
      lastOwn = globalPosition;
      if (types !== undefined && !types.has(event.type)) return;
      events.push(toRecordedEvent(event, envelope, globalPosition));
    },
  );
  // At the end of $all, stop at our own last event rather than at the system and foreign records after it:
  // a caught-up reader's checkpoint is then our head, as on every other adapter (the next poll rescans them,
  // at most MAX_SCAN_PER_PAGE). Mid-log, foreign records are passed so that every page moves forward.
  return more ? { events, checkpoint, isEnd: false } : { events, checkpoint: lastOwn, isEnd: true };
}
