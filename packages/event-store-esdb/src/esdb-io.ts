import { type EventStoreDBClient, type Position, START, type StreamingRead } from "@eventstore/db-client";

/** The part of the gRPC client the adapter uses (a test can hand in a stand-in when no server runs). */
export type EsdbClient = Pick<EventStoreDBClient, "appendToStream" | "readStream" | "readAll" | "dispose">;

/** Reads an ESDB stream to the end, or until `each` returns false (then the gRPC call is cancelled). */
export async function drain<E>(read: StreamingRead<E>, each: (event: E) => unknown): Promise<void> {
  let finished = false;
  try {
    for await (const item of read) {
      if (each(item) === false) return;
    }
    finished = true;
  } finally {
    if (!finished) await read.cancel().catch(() => undefined);
  }
}

/**
 * Where to start reading $all for an exclusive checkpoint. Our global position IS the commit position, and
 * ESDB (v20+) gives every event its own position with commit = prepare, so the pair is rebuilt from it.
 * fromPosition is inclusive: callers skip the record at `after` themselves.
 */
export function allFrom(after: number): typeof START | Position {
  return after === 0 ? START : { commit: BigInt(after), prepare: BigInt(after) };
}
