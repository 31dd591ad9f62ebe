import type { Clock } from "@icm/event-store";
import { createPgliteDriver } from "./executor/pglite.js";
import { createSqlEventStore, type SqlEventStore } from "./store/sql-event-store.js";

export interface PgliteEventStoreOptions {
  /** Directory for a durable database; omit for an in-memory one. */
  readonly dataDir?: string;
  readonly schema?: string;
  readonly clock?: Clock;
}

/** An event store on an embedded PGlite (in memory, or durable with `dataDir`); same SQL as PostgreSQL. */
export async function createPgliteEventStore(options: PgliteEventStoreOptions = {}): Promise<SqlEventStore> {
  const driver = await createPgliteDriver(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  const storeOptions = {
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
  return createSqlEventStore(driver, storeOptions);
}
