import pg from "pg";
import { quoteIdentifier } from "../schema/identifiers.js";

/** Reconnect attempts in a row before the listener gives up (subscriptions then fall back to polling). */
const MAX_RECONNECT_ATTEMPTS = 20;
const reconnectDelayMs = (attempt: number) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6));

export interface CommitListener {
  /** Stops listening and closes the connection; no timer or socket is left behind. */
  close(): Promise<void>;
}

/**
 * LISTENs on the store's channel on a connection of its own and calls `onCommit` for every NOTIFY that an
 * append sends (delivered by PostgreSQL at commit, from any process). Only a wake-up: subscriptions still
 * read through readAll, and keep polling, so a lost notification costs latency, never an event. A dropped
 * connection is re-established with backoff, up to MAX_RECONNECT_ATTEMPTS in a row.
 */
export function startCommitListener(options: {
  readonly connectionString: string;
  readonly channel: string;
  readonly applicationName: string;
  readonly onCommit: () => void;
}): CommitListener {
  let closed = false;
  let client: pg.Client | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const scheduleReconnect = () => {
    if (closed || timer !== undefined || failures >= MAX_RECONNECT_ATTEMPTS) return;
    failures += 1;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, reconnectDelayMs(failures));
  };

  const connect = async () => {
    if (closed) return;
    const next = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
    });
    client = next;
    // Errors and ends both mean "this connection is gone": drop it and try again later.
    next.on("error", () => {
      if (client === next) client = undefined;
      void next.end().catch(() => undefined);
      scheduleReconnect();
    });
    next.on("notification", () => options.onCommit());
    try {
      await next.connect();
      await next.query(`LISTEN ${quoteIdentifier(options.channel)}`);
      if (closed) {
        await next.end();
        return;
      }
      failures = 0;
      // Commits made while we were not listening would otherwise wait for the next poll.
      options.onCommit();
    } catch {
      if (client === next) client = undefined;
      await next.end().catch(() => undefined);
      scheduleReconnect();
    }
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
