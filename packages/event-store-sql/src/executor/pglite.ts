import { PGlite } from "@electric-sql/pglite";
import type { SqlDriver, SqlParam, SqlQueryable, SqlRow, TransactionOptions } from "./types.js";

interface PgliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * PGlite driver: one embedded PostgreSQL, one connection. PGlite queues statements itself, and
 * `transaction` holds that connection until the callback settles, so appends are serialised anyway; the
 * store still takes its advisory lock so that the SQL is the same as on a server.
 */
export async function createPgliteDriver(options: { readonly dataDir?: string }): Promise<SqlDriver> {
  const db = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir);
  await db.waitReady;
  const run = async <R extends SqlRow>(
    target: PgliteLike,
    text: string,
    params: readonly SqlParam[] | undefined,
  ): Promise<R[]> => {
    const result = await target.query<R>(text, params === undefined ? [] : [...params]);
    return result.rows;
  };
  let closed = false;
  return {
    dialect: "pglite",
    query: (text, params) => run(db, text, params),
    transaction<T>(fn: (tx: SqlQueryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      return db.transaction(async (handle) => {
        const tx: SqlQueryable = { query: (text, params) => run(handle, text, params) };
        // In process, a round trip costs nothing: the statement simply runs first.
        if (options.afterBegin !== undefined) await handle.query(options.afterBegin);
        return fn(tx);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
