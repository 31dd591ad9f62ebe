import {
  type AppendResult,
  BACKWARDS,
  END,
  type EventData,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from "@eventstore/db-client";
import type { EsdbClient } from "../esdb-io.js";

interface StoredRecord {
  readonly streamId: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
  readonly position: bigint;
}

/** What a test can see and do to the stand-in besides the client calls. */
export interface StandInServer {
  readonly client: EsdbClient;
  /** Records in $all order, system ones included. */
  readonly log: readonly StoredRecord[];
  /** A client on the same data (a second connection / a restarted process). */
  connect(): EsdbClient;
  /** Corrupts the stored log behind the adapter's back, as a damaged disk or a hostile operator could. */
  readonly tamper: {
    editData(position: number, data: unknown): Promise<void>;
    deleteEvent(position: number): Promise<void>;
    swapPositions(a: number, b: number): Promise<void>;
  };
}

/**
 * An in-process stand-in for an EventStoreDB node, for running the adapter's logic where no server is
 * available. It models exactly the server behaviour the adapter relies on, and nothing more:
 * - per-stream optimistic concurrency on an explicit expected revision (0-based; NO_STREAM, STREAM_EXISTS);
 * - idempotent writes: with an explicit revision, a batch whose ids equal the events right after that
 *   revision is acknowledged without writing (the server's dedupe by event id);
 * - readStream throws StreamNotFoundError for a missing stream; revisions count from 0;
 * - $all positions are sparse (records are hundreds of bytes apart), fromPosition is inclusive, and
 *   system events ($stats...) are interleaved with ours;
 * - data and metadata travel as JSON text (JSON.stringify on write, JSON.parse on read).
 * It is NOT a substitute for the real contract run (esdb.int.spec.ts with ESDB_URL).
 */
export function createStandInServer(): StandInServer {
  const log: StoredRecord[] = [];
  let nextPosition = 1_024n;
  let appends = 0;
  const streamRecords = (streamId: string) => log.filter((r) => r.streamId === streamId);

  const write = (
    streamId: string,
    revision: bigint,
    id: string,
    type: string,
    data: unknown,
    metadata: unknown,
  ) => {
    const dataJson = JSON.stringify(data);
    const metadataJson = JSON.stringify(metadata ?? {});
    const record = { streamId, revision, id, type, dataJson, metadataJson, position: nextPosition };
    log.push(record);
    nextPosition += BigInt(128 + dataJson.length + metadataJson.length);
    return record;
  };
  const writeSystemEvent = () => {
    const stats = streamRecords("$stats-127.0.0.1:2113");
    write(
      "$stats-127.0.0.1:2113",
      BigInt(stats.length),
      crypto.randomUUID(),
      "$statsCollected",
      { cpu: 1 },
      {},
    );
  };
  writeSystemEvent();

  const toResolved = (record: StoredRecord) => ({
    event: {
      streamId: record.streamId,
      id: record.id,
      isJson: true,
      revision: record.revision,
      type: record.type,
      created: new Date(0),
      data: JSON.parse(record.dataJson) as unknown,
      metadata: JSON.parse(record.metadataJson) as unknown,
      position: { commit: record.position, prepare: record.position },
    },
    commitPosition: record.position,
  });

  /** A StreamingRead-like: async iterable plus cancel(); `load` runs on first pull, as the gRPC call would. */
  const streaming = (load: () => StoredRecord[]) => {
    let cancelled = false;
    return {
      async cancel() {
        cancelled = true;
      },
      async *[Symbol.asyncIterator]() {
        for (const record of load()) {
          if (cancelled) return;
          yield toResolved(record);
        }
      },
    };
  };

  const connect = (): EsdbClient => {
    let disposed = false;
    const assertOpen = () => {
      if (disposed) throw new Error("stand-in client disposed");
    };
    const client = {
      async appendToStream(
        streamName: string,
        events: EventData | EventData[],
        options: { expectedRevision?: unknown } = {},
      ) {
        assertOpen();
        const batch = Array.isArray(events) ? events : [events];
        const existing = streamRecords(streamName);
        const current = existing.length === 0 ? NO_STREAM : BigInt(existing.length - 1);
        const expected = options.expectedRevision ?? "any";
        const firstRevision =
          expected === NO_STREAM ? 0n : typeof expected === "bigint" ? expected + 1n : undefined;
        if (firstRevision !== undefined) {
          const already = existing.slice(Number(firstRevision), Number(firstRevision) + batch.length);
          if (already.length === batch.length && already.every((r, i) => r.id === batch[i]?.id)) {
            const result: AppendResult = {
              success: true,
              nextExpectedRevision: firstRevision + BigInt(batch.length) - 1n,
            };
            return result;
          }
        }
        const matches =
          expected === "any" ||
          (expected === NO_STREAM && current === NO_STREAM) ||
          (expected === STREAM_EXISTS && current !== NO_STREAM) ||
          (typeof expected === "bigint" && current === expected);
        if (!matches) {
          throw new WrongExpectedVersionError(undefined, {
            streamName,
            expected: expected as bigint,
            current,
          });
        }
        let revision = current === NO_STREAM ? 0n : current + 1n;
        let last: StoredRecord | undefined;
        for (const event of batch) {
          last = write(streamName, revision, event.id, event.type, event.data, event.metadata);
          revision += 1n;
        }
        appends += 1;
        if (appends % 7 === 0) writeSystemEvent();
        const result: AppendResult = {
          success: true,
          nextExpectedRevision: revision - 1n,
          ...(last === undefined ? {} : { position: { commit: last.position, prepare: last.position } }),
        };
        return result;
      },
      readStream(
        streamName: string,
        options: { direction?: string; fromRevision?: unknown; maxCount?: number | bigint } = {},
      ) {
        assertOpen();
        return streaming(() => {
          const records = streamRecords(streamName);
          if (records.length === 0) throw new StreamNotFoundError(undefined, streamName);
          const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
          if (options.direction === BACKWARDS) {
            const from =
              options.fromRevision === END || options.fromRevision === undefined
                ? BigInt(records.length - 1)
                : (options.fromRevision as bigint);
            return records
              .filter((r) => r.revision <= from)
              .reverse()
              .slice(0, max);
          }
          const from =
            options.fromRevision === START || options.fromRevision === undefined
              ? 0n
              : (options.fromRevision as bigint);
          return records.filter((r) => r.revision >= from).slice(0, max);
        });
      },
      readAll(options: { fromPosition?: unknown; direction?: string; maxCount?: number | bigint } = {}) {
        assertOpen();
        return streaming(() => {
          if (options.direction === BACKWARDS) throw new Error("stand-in reads $all forwards only");
          const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
          const from = options.fromPosition;
          const start = from === START || from === undefined ? 0n : (from as { commit: bigint }).commit;
          return log.filter((r) => r.position >= start).slice(0, max);
        });
      },
      async dispose() {
        disposed = true;
      },
    };
    return client as unknown as EsdbClient;
  };

  const indexOf = (position: number): number => {
    const index = log.findIndex((r) => r.position === BigInt(position));
    if (index < 0) throw new RangeError(`no record at position ${position}`);
    return index;
  };
  const tamper = {
    async editData(position: number, data: unknown) {
      const index = indexOf(position);
      log[index] = { ...(log[index] as StoredRecord), dataJson: JSON.stringify(data) };
    },
    async deleteEvent(position: number) {
      log.splice(indexOf(position), 1);
    },
    async swapPositions(a: number, b: number) {
      const indexA = indexOf(a);
      const indexB = indexOf(b);
      const recordA = log[indexA] as StoredRecord;
      const recordB = log[indexB] as StoredRecord;
      log[indexA] = { ...recordB, position: recordA.position };
      log[indexB] = { ...recordA, position: recordB.position };
    },
  };

  return { client: connect(), log, connect, tamper };
}
