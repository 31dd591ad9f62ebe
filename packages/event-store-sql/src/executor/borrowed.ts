import type { SqlDriver, SqlExecutor } from "./types.js";

/**
 * An executor the store uses but does not own: closing the store leaves it open. For several stores (one
 * schema each) on one PGlite instance or one pool, whose owner closes it once.
 */
export function borrowExecutor(executor: SqlExecutor): SqlDriver {
  return {
    dialect: executor.dialect,
    query: (text, params) => executor.query(text, params),
    transaction: (fn, options) => executor.transaction(fn, options),
    close: async () => undefined,
  };
}
