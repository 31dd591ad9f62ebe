import pg from "pg";
import type { SqlDriver, SqlParam, SqlQueryable, SqlRow, TransactionOptions } from "./types.js";

export interface PgDriverOptions {
  readonly connectionString: string;
  readonly poolSize: number;
  /** Shows up in pg_stat_activity; tests use it to find (and terminate) this pool's connections. */
  readonly applicationName: string;
}

/** Fresh connections tried when BEGIN fails on a stale pooled one. */
const MAX_BEGIN_ATTEMPTS = 3;

/** `pg` Pool driver. Every transaction takes one pooled client for its whole life. */
export function createPgDriver(options: PgDriverOptions): SqlDriver {
  if (!Number.isInteger(options.poolSize) || options.poolSize < 1 || options.poolSize > 100) {
    throw new RangeError(`poolSize must be an integer in 1..100, got ${options.poolSize}`);
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    application_name: options.applicationName,
    // Bounded: a dead server fails a call instead of hanging it.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 10_000,
  });
  // An idle client whose connection is killed (server restart, pg_terminate_backend) emits 'error' on the
  // pool; unhandled, that would crash the process. The pool already discards the client, and the next
  // query opens a fresh connection, so there is nothing else to do here.
  pool.on("error", () => undefined);

  const run = async <R extends SqlRow>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    params: readonly SqlParam[] | undefined,
  ): Promise<R[]> => {
    const result = await client.query<R>(text, params === undefined ? [] : [...params]);
    return result.rows;
  };

  // A checked-out client whose connection dies emits 'error'; the failing query already reports it.
  const ignoreClientError = () => undefined;

  /**
   * Checks out a client and runs BEGIN (with `afterBegin` in the same simple query). A pooled idle
   * connection can have been killed (server restart, pg_terminate_backend) before the pool noticed; BEGIN
   * then fails having done nothing, so it is safe to discard that connection and try a fresh one, a bounded
   * number of times.
   */
  const beginOnLiveConnection = async (afterBegin: string | undefined): Promise<pg.PoolClient> => {
    const begin = afterBegin === undefined ? "BEGIN" : `BEGIN; ${afterBegin}`;
    for (let attempt = 1; ; attempt += 1) {
      const client = await pool.connect();
      client.on("error", ignoreClientError);
      try {
        await client.query(begin);
        return client;
      } catch (error) {
        client.off("error", ignoreClientError);
        client.release(error instanceof Error ? error : new Error(String(error)));
        if (attempt >= MAX_BEGIN_ATTEMPTS) throw error;
      }
    }
  };

  let closed = false;
  return {
    dialect: "postgres",
    query: (text, params) => run(pool, text, params),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      const client = await beginOnLiveConnection(options.afterBegin);
      let broken: Error | undefined;
      try {
        const tx: SqlQueryable = { query: (text, params) => run(client, text, params) };
        const value = await fn(tx);
        await client.query("COMMIT");
        return value;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          // The connection is unusable; destroy it rather than return it to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        client.off("error", ignoreClientError);
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
