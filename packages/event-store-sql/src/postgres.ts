import type { Clock } from "@icm/event-store";
import { createPgDriver } from "./executor/pg.js";
import { startCommitListener } from "./notify/pg-listener.js";
import { createSqlEventStore, DEFAULT_SCHEMA, type SqlEventStore } from "./store/sql-event-store.js";

export interface PostgresEventStoreOptions {
  readonly connectionString: string;
  readonly schema?: string;
  readonly clock?: Clock;
  /** Pool size (default 10). */
  readonly poolSize?: number;
  /** Opt into the xmin read rule; see SqlEventStoreOptions.snapshotGuard. */
  readonly snapshotGuard?: boolean;
  /**
   * Wake subscriptions through LISTEN/NOTIFY when another process appends (default true). Costs one more
   * connection while a subscription exists; without it, subscriptions see other processes' appends at
   * their next poll.
   */
  readonly listen?: boolean;
}

export const DEFAULT_POOL_SIZE = 10;

/** An event store on a PostgreSQL server (`pg` Pool); creates its schema and table if missing. */
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<SqlEventStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const applicationName = `icm-event-store:${schema}`;
  const driver = createPgDriver({
    connectionString: options.connectionString,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    applicationName,
  });
  const listenForCommits = (channel: string, onCommit: () => void) =>
    startCommitListener({ connectionString: options.connectionString, channel, applicationName, onCommit });
  return createSqlEventStore(driver, {
    schema,
    ...(options.listen === false ? {} : { listenForCommits }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.snapshotGuard === undefined ? {} : { snapshotGuard: options.snapshotGuard }),
  });
}
