export { borrowExecutor } from "./executor/borrowed.js";
export { createPgDriver, type PgDriverOptions } from "./executor/pg.js";
export { createPgliteDriver } from "./executor/pglite.js";
export type {
  SqlDriver,
  SqlExecutor,
  SqlParam,
  SqlQueryable,
  SqlRow,
  TransactionOptions,
} from "./executor/types.js";
export { createPgliteEventStore, type PgliteEventStoreOptions } from "./pglite.js";
export { createPostgresEventStore, DEFAULT_POOL_SIZE, type PostgresEventStoreOptions } from "./postgres.js";
export { assertSchemaName, InvalidSchemaNameError, quoteIdentifier } from "./schema/identifiers.js";
export {
  createSqlEventStore,
  DEFAULT_SCHEMA,
  type SqlEventStore,
  type SqlEventStoreOptions,
} from "./store/sql-event-store.js";
