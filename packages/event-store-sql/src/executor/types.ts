/** A value bound to a `$n` placeholder. Arrays bind to PostgreSQL arrays (`$1::text[]`). */
export type SqlParam = string | number | boolean | null | readonly (string | number | null)[];

export type SqlRow = Record<string, unknown>;

/** Anything that can run one statement: the executor itself, or a transaction handed to a callback. */
export interface SqlQueryable {
  query<R extends SqlRow = SqlRow>(text: string, params?: readonly SqlParam[]): Promise<R[]>;
}

/**
 * The whole of what the store needs from a SQL driver. Kept this small so that `pg` and PGlite share
 * every statement, and so that other packages (read models, checkpoints) can run their own statements and
 * transactions on the same pool or the same PGlite instance as the store.
 */
/** How a transaction starts. */
export interface TransactionOptions {
  /**
   * One statement without parameters, run right after BEGIN and before `fn`. On a server it travels with
   * BEGIN in one round trip ("BEGIN; <statement>" as one simple query): the event store takes its append
   * lock this way, one round trip fewer per append on a machine where a round trip costs ~0.25 ms (and
   * more when the event loop is busy; see docs/benchmarks.md, round 10).
   */
  readonly afterBegin?: string;
}

export interface SqlExecutor extends SqlQueryable {
  readonly dialect: "postgres" | "pglite";
  /**
   * Runs `fn` in one transaction (READ COMMITTED): COMMIT when it resolves, ROLLBACK when it throws.
   * Use only the `tx` handed to `fn` inside it; on PGlite (one connection) a statement sent to the
   * executor itself while a transaction is open waits for that transaction, so it would deadlock.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** The executor plus the ability to release its connections; owned by the store that created it. */
export interface SqlDriver extends SqlExecutor {
  close(): Promise<void>;
}
