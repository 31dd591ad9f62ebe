import { validateEvent } from "@icm/engine";
import type { EventStore } from "@icm/event-store";
import { type DomainEvent, streamIdFor } from "@icm/events";
import type { EventPublisher } from "@icm/pipeline";
import { type IcmWorkspace, InvalidInputError } from "@icm/workflows";
import { ApiError } from "./errors.js";

/** What a write route reports back. */
export interface WriteResult {
  readonly recorded: number;
  readonly duplicates: number;
  /** The log position the workspace has applied after the write: reads at or after it see the write. */
  readonly lastPosition: number;
}

/** How the API records the events of its write routes (adjustments, plans). */
export interface EventWriter {
  write(events: readonly DomainEvent[]): Promise<WriteResult>;
}

/** Appends straight to the store through the workspace (embedded deployments, no NATS). */
export function workspaceWriter(workspace: IcmWorkspace): EventWriter {
  return { write: (events) => workspace.record(events) };
}

export interface PipelineWriterOptions {
  readonly publisher: EventPublisher;
  readonly store: EventStore;
  readonly workspace: IcmWorkspace;
  /** How long to wait for the recorder to append a published event before answering 503. */
  readonly recordTimeoutMs?: number;
  /** Pause between looks at the store while waiting. */
  readonly pollIntervalMs?: number;
}

const DEFAULT_RECORD_TIMEOUT_MS = 10_000;
const DEFAULT_POLL_INTERVAL_MS = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes through the pipeline: validate here (a bad request is a 400, not a dead letter), publish to NATS
 * JetStream, then wait (bounded) until the recorder has appended every event, and refresh the workspace so
 * the caller reads its own write. The recorder is the only writer of the log in a NATS deployment.
 */
export function pipelineWriter(options: PipelineWriterOptions): EventWriter {
  const timeoutMs = options.recordTimeoutMs ?? DEFAULT_RECORD_TIMEOUT_MS;
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  return {
    async write(events) {
      const valid: DomainEvent[] = [];
      const issues: { path: string; rule: string }[] = [];
      events.forEach((raw, i) => {
        const parsed = validateEvent(raw);
        if (parsed.ok) valid.push(parsed.value);
        else
          for (const issue of parsed.issues) issues.push({ path: `[${i}].${issue.path}`, rule: issue.rule });
      });
      if (issues.length > 0) throw new InvalidInputError(`${issues.length} problem(s) in the events`, issues);
      // What the log held before: an event found at or before this position was already recorded. The
      // stream's duplicate flag cannot say so: an event sent again inside a message of other events is
      // stored by the stream, and only the store knows it had it (docs/ingest.md, "Messages").
      const headBefore = (await options.store.head()).globalPosition;
      await options.publisher.publish(valid);
      const waiting = new Map<string, Set<string>>();
      for (const e of valid) {
        const stream = streamIdFor(e);
        const ids = waiting.get(stream) ?? new Set<string>();
        ids.add(e.eventId);
        waiting.set(stream, ids);
      }
      const deadline = performance.now() + timeoutMs;
      let recorded = 0;
      for (const [stream, ids] of [...waiting.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        while (true) {
          const read = await options.store.readStream(stream);
          for (const e of read.events) {
            if (!ids.delete(e.eventId)) continue;
            if (e.globalPosition > headBefore) recorded += 1;
          }
          if (ids.size === 0) break;
          if (performance.now() > deadline)
            throw new ApiError(
              "not_ready",
              `published, but the recorder did not record ${[...ids].join(", ")} within ${timeoutMs} ms; retrying is safe`,
            );
          await sleep(pollMs);
        }
      }
      const lastPosition = await options.workspace.refresh();
      // As the workspace writer counts: every event given is recorded now or a duplicate (an id repeated in
      // the request is recorded once, then a duplicate).
      return { recorded, duplicates: valid.length - recorded, lastPosition };
    },
  };
}
