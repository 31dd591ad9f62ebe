import type { SqlDriver } from "../executor/types.js";

/**
 * Wraps a driver so that every transaction sleeps on the server before its work and again between its
 * last statement and COMMIT: the window in which a tailing reader could otherwise pass a position whose
 * transaction has not committed yet (contract behaviour 15). Tests only.
 */
export function delayedDriver(inner: SqlDriver, nextDelayMs: () => number): SqlDriver {
  const sleep = (tx: { query: SqlDriver["query"] }) =>
    tx.query("SELECT pg_sleep($1::float8 / 1000)", [nextDelayMs()]);
  return {
    dialect: inner.dialect,
    query: (text, params) => inner.query(text, params),
    transaction: (fn, options) =>
      inner.transaction(async (tx) => {
        await sleep(tx);
        const value = await fn(tx);
        await sleep(tx);
        return value;
      }, options),
    close: () => inner.close(),
  };
}
