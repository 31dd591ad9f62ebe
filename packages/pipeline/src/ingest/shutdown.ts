import type { Logger } from "pino";

export interface GracefulShutdownOptions {
  /** Stops accepting and waits for in-flight requests (Fastify's close does both). */
  readonly close: () => Promise<void>;
  /** Runs after `close`, e.g. draining the NATS connection so pending acks arrive. */
  readonly afterClose?: () => Promise<void>;
  /** After this long the process exits with code 1 whatever is still running. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly signals?: readonly NodeJS.Signals[];
  /** Injected for tests; `process.exit` by default. */
  readonly exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /** Starts the shutdown (once; later calls return the same promise). */
  shutdown(reason: string): Promise<void>;
  /** Removes the signal handlers without shutting down. */
  dispose(): void;
}

/**
 * On SIGTERM / SIGINT: stop taking requests, let the in-flight ones finish (their events are acknowledged
 * by the stream before they answer), drain NATS, exit 0. If that takes longer than timeoutMs, exit 1: the
 * senders of unfinished requests got no 202 and will retry, and eventId dedupe makes that safe.
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    running ??= (async () => {
      dispose();
      options.logger.info(
        { reason, timeoutMs: options.timeoutMs },
        "shutting down: draining in-flight requests",
      );
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
      });
      const work = (async () => {
        await options.close();
        if (options.afterClose) await options.afterClose();
        return "done" as const;
      })();
      try {
        const outcome = await Promise.race([work, timedOut]);
        if (outcome === "timeout") {
          options.logger.error(
            { timeoutMs: options.timeoutMs },
            "shutdown timed out; exiting with work in flight",
          );
          exit(1);
          return;
        }
        options.logger.info("shutdown complete");
        exit(0);
      } catch (error) {
        options.logger.error({ err: error }, "shutdown failed");
        exit(1);
      } finally {
        clearTimeout(timer);
      }
    })();
    return running;
  };

  const handler = (signal: NodeJS.Signals) => {
    void shutdown(signal);
  };
  function dispose(): void {
    for (const signal of signals) process.off(signal, handler);
  }
  for (const signal of signals) process.once(signal, handler);
  return { shutdown, dispose };
}
