/** Base of the store's typed errors; test the type guards, never the messages. */
export abstract class EventStoreError extends Error {}

export class ExpectedVersionConflictError extends EventStoreError {
  override readonly name = "ExpectedVersionConflictError";
  constructor(
    readonly streamId: string,
    readonly expected: string | number,
    readonly current: number,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, current revision ${current}`);
  }
}

export interface IdempotencyConflictDetail {
  readonly eventId: string;
  /** Content hash of the event already recorded under this id, and where it is. */
  readonly existingHash: string;
  readonly existingStreamId: string;
  readonly existingStreamPosition: number;
  /** Content hash of the event that was offered now. */
  readonly offeredHash: string;
  readonly offeredStreamId: string;
}

/** Same event id, different content: never a silent success (TigerBeetle `exists_with_different_*`). */
export class IdempotencyConflictError extends EventStoreError {
  override readonly name = "IdempotencyConflictError";
  constructor(readonly conflicts: readonly IdempotencyConflictDetail[]) {
    super(
      conflicts
        .map(
          (c) =>
            `event ${c.eventId} already recorded as ${c.existingStreamId}#${c.existingStreamPosition} with content ${c.existingHash}, offered ${c.offeredStreamId} with content ${c.offeredHash}`,
        )
        .join("; "),
    );
  }
}

/**
 * A batch in which some event ids are already recorded and some are new. We reject it whole rather than
 * guess whether the caller meant a retry or a new write: the caller re-sends only the new events.
 */
export class PartialDuplicateAppendError extends EventStoreError {
  override readonly name = "PartialDuplicateAppendError";
  constructor(
    readonly streamId: string,
    readonly alreadyRecorded: readonly string[],
    readonly notRecorded: readonly string[],
  ) {
    super(
      `stream ${streamId}: ${alreadyRecorded.length} of ${alreadyRecorded.length + notRecorded.length} events already recorded (${alreadyRecorded.slice(0, 5).join(", ")}); re-send only the new ones`,
    );
  }
}

/** A batch that breaks a structural rule (empty, too large, duplicate ids, unencodable data). */
export class InvalidAppendError extends EventStoreError {
  override readonly name = "InvalidAppendError";
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(`${path}: ${rule}`);
  }
}

export class StoreClosedError extends EventStoreError {
  override readonly name = "StoreClosedError";
  constructor() {
    super("the event store is closed");
  }
}

export const isExpectedVersionConflict = (e: unknown): e is ExpectedVersionConflictError =>
  e instanceof ExpectedVersionConflictError;
export const isIdempotencyConflict = (e: unknown): e is IdempotencyConflictError =>
  e instanceof IdempotencyConflictError;
export const isPartialDuplicateAppend = (e: unknown): e is PartialDuplicateAppendError =>
  e instanceof PartialDuplicateAppendError;
export const isInvalidAppend = (e: unknown): e is InvalidAppendError => e instanceof InvalidAppendError;
