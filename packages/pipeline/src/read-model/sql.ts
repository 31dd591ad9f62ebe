/**
 * The slice of a SQL connection the read model needs. The SQL event store's `executor` (PostgreSQL pool or
 * PGlite) satisfies it, so read models live in the same database as the log and a projector can commit
 * rows and its checkpoint in one transaction.
 */
export type SqlParam = string | number | boolean | null | readonly (string | number | null)[];
export type SqlRow = Record<string, unknown>;

// Same shape as @icm/event-store-sql's SqlQueryable / SqlExecutor, restated so that read models can also be
// kept by any other driver with these two methods.
export interface SqlQueryable {
  query<R extends SqlRow = SqlRow>(text: string, params?: readonly SqlParam[]): Promise<R[]>;
}

export interface SqlTransactional extends SqlQueryable {
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names come from configuration; only plain lowercase identifiers are accepted, then quoted. */
export function quoteSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new RangeError(`read-model schema must match ${IDENTIFIER.source}, got ${JSON.stringify(schema)}`);
  }
  return `"${schema}"`;
}
