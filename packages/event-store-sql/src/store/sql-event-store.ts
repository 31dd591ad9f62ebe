import {
  type AppendManyItem,
  type AppendManyOutcome,
  type AppendResult,
  assertAppendManyBounds,
  type Clock,
  type EventStore,
  EventStoreError,
  type EventToAppend,
  type ExpectedRevision,
  type PollingSubscription,
  type ReadAllOptions,
  StoreClosedError,
  startPollingSubscription,
  systemClock,
  verifyChainFrom,
} from "@icm/event-store";
import type { SqlDriver, SqlExecutor } from "../executor/types.js";
import type { CommitListener } from "../notify/pg-listener.js";
import { type StoreTables, storeTables } from "../schema/identifiers.js";
import { migrate } from "../schema/migrate.js";
import { appendInTransaction } from "./append.js";
import { appendManyInTransaction, type PreparedItem } from "./append-many.js";
import { appendLockStatement } from "./insert.js";
import { readAllRows, readHead, readStreamRows } from "./read.js";
import { prepareAppend } from "./validate.js";

export const DEFAULT_SCHEMA = "icm_events";

/** The SQL store: an EventStore plus the connection it lives on, for read models kept beside it. */
export interface SqlEventStore extends EventStore {
  /** Run your own statements and transactions on the store's pool / PGlite instance. */
  readonly executor: SqlExecutor;
  /** The (validated) schema holding the `events` table. */
  readonly schema: string;
  /** Creates the schema and table if missing; idempotent. The factories call it once. */
  migrate(): Promise<void>;
}

export interface SqlEventStoreOptions {
  readonly schema?: string;
  readonly clock?: Clock;
  /**
   * Also hide rows of transactions newer than the oldest one in progress (emmett's xmin rule). Off by
   * default: the append lock already guarantees gap-free reading, and the rule makes readers lag behind
   * any long transaction on the server. See `Visibility` in store/read.ts.
   */
  readonly snapshotGuard?: boolean;
  /**
   * Starts listening for commits announced on `channel` (PostgreSQL LISTEN/NOTIFY), so that subscriptions
   * wake at once on appends made by other processes instead of at their next poll. Started with the first
   * subscription, closed by close(). When set, every append NOTIFYs the channel.
   */
  readonly listenForCommits?: (channel: string, onCommit: () => void) => CommitListener;
}

/** Tries of one append when a unique violation shows a writer raced past the lock (defensive; see append). */
const MAX_APPEND_ATTEMPTS = 2;

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

/**
 * Builds the store over a driver it owns (closing the store closes the driver). Both factories go through
 * here, so PostgreSQL and PGlite run exactly the same SQL.
 */
export async function createSqlEventStore(
  driver: SqlDriver,
  options: SqlEventStoreOptions = {},
): Promise<SqlEventStore> {
  let tables: StoreTables;
  try {
    tables = storeTables(options.schema ?? DEFAULT_SCHEMA);
    await migrate(driver, tables);
  } catch (error) {
    await driver.close();
    throw error;
  }
  const clock = options.clock ?? systemClock;
  // Every append's transaction starts with the append lock, in BEGIN's round trip.
  const locked = { afterBegin: appendLockStatement(tables) };
  const visibility = { snapshotGuard: options.snapshotGuard ?? false };
  const subscriptions = new Set<PollingSubscription>();
  const wakeAll = () => {
    for (const subscription of subscriptions) subscription.wake();
  };
  const listenForCommits = options.listenForCommits;
  let listener: CommitListener | undefined;
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new StoreClosedError();
  };

  const readAll = (readOptions: ReadAllOptions = {}) => {
    assertOpen();
    return readAllRows(driver, tables, visibility, readOptions);
  };

  async function append(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    assertOpen();
    const batch = prepareAppend(streamId, events, expectedRevision);
    const recordedAt = clock();
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await driver.transaction(
          (tx) =>
            appendInTransaction(
              tx,
              tables,
              streamId,
              batch,
              expectedRevision,
              recordedAt,
              listenForCommits !== undefined,
            ),
          locked,
        );
        if (!result.idempotentReplay) wakeAll();
        return result;
      } catch (error) {
        // Under the lock no two appends interleave, so this only happens if something wrote without it.
        // The retry re-runs every check, so it ends in a replay or one of the typed errors.
        if (isUniqueViolation(error) && attempt < MAX_APPEND_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** All items in one transaction under one lock; see appendManyInTransaction for the steps. */
  async function appendMany(items: readonly AppendManyItem[]): Promise<AppendManyOutcome[]> {
    assertOpen();
    assertAppendManyBounds(items);
    const prepared = items.map((item): PreparedItem => {
      try {
        return {
          ok: true,
          streamId: item.streamId,
          batch: prepareAppend(item.streamId, item.events, item.expectedRevision),
          expectedRevision: item.expectedRevision,
        };
      } catch (error) {
        if (error instanceof EventStoreError) return { ok: false, error };
        throw error;
      }
    });
    const recordedAt = clock();
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { outcomes, written } = await driver.transaction(
          (tx) => appendManyInTransaction(tx, tables, prepared, recordedAt, listenForCommits !== undefined),
          locked,
        );
        if (written > 0) wakeAll();
        return outcomes;
      } catch (error) {
        // As in append: only a writer that bypassed the lock can cause this; the retry re-decides everything.
        if (isUniqueViolation(error) && attempt < MAX_APPEND_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  const store: SqlEventStore = {
    executor: driver,
    schema: tables.schema,
    migrate: () => migrate(driver, tables),
    append,
    appendMany,
    async readStream(streamId, readOptions = {}) {
      assertOpen();
      return readStreamRows(driver, tables, streamId, readOptions);
    },
    readAll: async (readOptions = {}) => readAll(readOptions),
    subscribeToAll(handler, subscribeOptions = {}) {
      assertOpen();
      const subscription: PollingSubscription = startPollingSubscription(readAll, handler, {
        ...subscribeOptions,
        onStop: () => subscriptions.delete(subscription),
      });
      subscriptions.add(subscription);
      if (listenForCommits !== undefined && listener === undefined)
        listener = listenForCommits(tables.commitChannel, wakeAll);
      return subscription;
    },
    async head() {
      assertOpen();
      return readHead(driver, tables, visibility);
    },
    async verifyChain(verifyOptions = {}) {
      assertOpen();
      return verifyChainFrom(readAll, verifyOptions.to === undefined ? {} : { to: verifyOptions.to });
    },
    async close() {
      if (closed) return;
      // Subscriptions stop first, while reads still work, so their in-flight handlers can finish.
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
      await listener?.close();
      await driver.close();
    },
  };
  return store;
}
