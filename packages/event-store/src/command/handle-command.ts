import { isExpectedVersionConflict } from "../port/errors.js";
import type { AppendResult, EventStore, EventToAppend, RecordedEvent } from "../port/types.js";

/** Decides the new events from the stream's current history. Pure: called again after every conflict. */
export type Decide = (
  history: readonly RecordedEvent[],
) => readonly EventToAppend[] | Promise<readonly EventToAppend[]>;

export interface HandleCommandOptions {
  /** Re-reads after a version conflict before giving up (0 = try once). */
  readonly maxRetries: number;
}

export interface HandleCommandResult {
  /** Undefined when decide returned no events (nothing to write). */
  readonly appended: AppendResult | undefined;
  /** How many times decide ran: 1 + the conflicts retried. */
  readonly attempts: number;
  readonly newEvents: readonly EventToAppend[];
}

export const MAX_COMMAND_RETRIES = 100;

/**
 * Read → decide → append with the revision that was read. On a version conflict it re-reads and decides
 * again, so stale events decided from an old history are never re-sent (contract behaviour 6). Bounded:
 * after `maxRetries` conflicts the last ExpectedVersionConflictError is thrown.
 *
 * Reads the whole stream: meant for entity streams (a deal, a rep), not for the global log.
 */
export async function handleCommand(
  store: EventStore,
  streamId: string,
  decide: Decide,
  options: HandleCommandOptions,
): Promise<HandleCommandResult> {
  const { maxRetries } = options;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > MAX_COMMAND_RETRIES) {
    throw new RangeError(`maxRetries must be 0..${MAX_COMMAND_RETRIES}, got ${maxRetries}`);
  }
  for (let attempt = 1; ; attempt += 1) {
    const { events: history, currentRevision } = await store.readStream(streamId);
    const newEvents = await decide(history);
    if (newEvents.length === 0) return { appended: undefined, attempts: attempt, newEvents };
    try {
      const appended = await store.append(streamId, newEvents, currentRevision);
      return { appended, attempts: attempt, newEvents };
    } catch (error) {
      if (!isExpectedVersionConflict(error) || attempt > maxRetries) throw error;
    }
  }
}
