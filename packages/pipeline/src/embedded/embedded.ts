import type { Statement } from "@icm/engine";
import { createPgliteEventStore, type SqlEventStore } from "@icm/event-store-sql";
import type { ValidationIssue } from "@icm/events";
import type { Logger } from "pino";
import { type DeadLetterRecord, verbatim } from "../dead-letter/record.js";
import { deadLetterAt } from "../dead-letter/store.js";
import { defaultValidator, type EventValidator } from "../ingest/validator.js";
import { engineStatementModel } from "../projector/engine-model.js";
import type { StatementModel } from "../projector/engine-port.js";
import { Projector, type ProjectorLimits } from "../projector/projector.js";
import { readStatementJson, readStatementSummaries, type StatementSummary } from "../read-model/queries.js";
import { RECORD_CHUNK_EVENTS, recordEvents } from "../recorder/record.js";

export interface EmbeddedPipelineOptions {
  /** PGlite data directory; omit for an in-memory database. */
  readonly dataDir?: string;
  /** Schema of the log and the read models (default: the store's). */
  readonly schema?: string;
  readonly validate?: EventValidator;
  readonly model?: StatementModel<Statement>;
  readonly projectorLimits?: Partial<ProjectorLimits>;
  readonly logger?: Logger;
  /** Edge clock for dead letters' receivedAt (informational only). */
  readonly now?: () => Date;
}

export interface EmbeddedIngestResult {
  /** Newly appended to the log. */
  readonly recorded: number;
  /** Already in the log (same eventId and content): nothing written. */
  readonly duplicates: number;
  /** Refused inputs, by their index in the call; each is also kept in `deadLetters()`. */
  readonly invalid: readonly {
    index: number;
    eventId?: string;
    reason: string;
    issues?: readonly ValidationIssue[];
  }[];
  /** Log position the read models are projected through after this call. */
  readonly checkpoint: number;
}

export interface EmbeddedPipeline {
  readonly store: SqlEventStore;
  /** Validate → append → project, in one process. Resolves once the read models include the events. */
  ingest(events: readonly unknown[]): Promise<EmbeddedIngestResult>;
  statementSummaries(): Promise<StatementSummary[]>;
  statementJson(repId: string, period: string): Promise<string | undefined>;
  /** Inputs refused by this instance, verbatim with the reason (kept in memory: there is no NATS here). */
  deadLetters(): readonly DeadLetterRecord[];
  close(): Promise<void>;
}

/**
 * The NATS pipeline's recorder and projector logic in one process on PGlite: the same validation, the same
 * idempotent single-event items recorded with one appendMany per chunk, the same projector and read-model
 * tables, so the statement digests are the same as the distributed path's for the same events. For the CLI, the demo and small installations.
 */
export async function createEmbeddedPipeline(
  options: EmbeddedPipelineOptions = {},
): Promise<EmbeddedPipeline> {
  const store = await createPgliteEventStore({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  const validate = options.validate ?? defaultValidator;
  const now = options.now ?? (() => new Date());
  const schema = store.schema;
  const letters: DeadLetterRecord[] = [];
  let projector: Projector<Statement>;
  try {
    projector = await Projector.open({
      store,
      sql: store.executor,
      schema,
      model: options.model ?? engineStatementModel,
      ...(options.projectorLimits === undefined ? {} : { limits: options.projectorLimits }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  // One ingest at a time: the projector is not re-entrant, and the log order is the call order.
  let queue: Promise<unknown> = Promise.resolve();

  async function ingestNow(events: readonly unknown[]): Promise<EmbeddedIngestResult> {
    let recorded = 0;
    let duplicates = 0;
    const invalid: {
      index: number;
      eventId?: string;
      reason: string;
      issues?: readonly ValidationIssue[];
    }[] = [];
    // Bounded chunks, each one appendMany (one transaction) of at most RECORD_CHUNK_EVENTS events.
    for (let start = 0; start < events.length; start += RECORD_CHUNK_EVENTS) {
      const chunk = events.slice(start, start + RECORD_CHUNK_EVENTS);
      const outcomes = await recordEvents(store, chunk, validate);
      for (const [offset, outcome] of outcomes.entries()) {
        const index = start + offset;
        switch (outcome.kind) {
          case "recorded":
            recorded += 1;
            break;
          case "duplicate":
            duplicates += 1;
            break;
          case "poison": {
            const { kind: _kind, ...reason } = outcome;
            invalid.push({ index, ...reason });
            letters.push(
              deadLetterAt(now(), {
                ...verbatim(JSON.stringify(events[index]) ?? String(events[index])),
                ...reason,
                source: "ingest",
              }),
            );
            break;
          }
          case "transient":
            // No redelivery here: the caller retries the call; events already recorded come back as duplicates.
            throw outcome.error;
        }
      }
    }
    const checkpoint = await projector.catchUp();
    return { recorded, duplicates, invalid, checkpoint };
  }

  return {
    store,
    ingest(events) {
      const run = queue.then(() => ingestNow(events));
      queue = run.catch(() => undefined);
      return run;
    },
    statementSummaries: () => readStatementSummaries(store.executor, schema),
    statementJson: (repId, period) => readStatementJson(store.executor, schema, repId, period),
    deadLetters: () => [...letters],
    async close() {
      await queue;
      await store.close();
    },
  };
}
