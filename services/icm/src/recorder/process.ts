import { createPgliteEventStore, createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { ConfigError, type DatabaseConfig, quoteSchema } from "@icm/pipeline";
import type { Logger } from "pino";

/**
 * ICM_DATABASE_SCHEMA: the schema of the event log and of the read models beside it (default icm_events).
 * Read here rather than in the shared configuration because only the recorder and projector use it.
 */
export function databaseSchema(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const schema = env.ICM_DATABASE_SCHEMA;
  if (schema === undefined || schema === "") return undefined;
  try {
    quoteSchema(schema);
  } catch (error) {
    throw new ConfigError([{ variable: "ICM_DATABASE_SCHEMA", rule: (error as Error).message }]);
  }
  return schema;
}

export async function openEventStore(
  database: DatabaseConfig,
  schema: string | undefined,
): Promise<SqlEventStore> {
  const withSchema = schema === undefined ? {} : { schema };
  if (database.kind === "postgres")
    return createPostgresEventStore({ connectionString: database.connectionString, ...withSchema });
  return createPgliteEventStore({
    ...(database.dataDir === undefined ? {} : { dataDir: database.dataDir }),
    ...withSchema,
  });
}

/**
 * SIGTERM / SIGINT → `stop` (finish the in-flight work), bounded by `timeoutMs`; a second signal or the
 * timeout exits at once. Safe because nothing is acknowledged or checkpointed before it is durable.
 *
 * Installed before start-up, which can take a while (the projector rebuilds its engine from the log): a
 * signal then would otherwise kill the process by the default action, without a word and with no exit
 * code. A signal during start-up exits at once with 0: the process has acknowledged and checkpointed
 * nothing yet, so there is nothing to finish. Call `started(stop)` once the process is running.
 */
export function onShutdownSignal(
  logger: Logger,
  timeoutMs: number,
): { started(stop: () => Promise<void>): void } {
  let stopping = false;
  let stop: (() => Promise<void>) | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    if (stop === undefined) {
      logger.info({ signal }, "stopping during start-up: nothing to finish");
      process.exit(0);
    }
    logger.info({ signal, timeoutMs }, "stopping");
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, "graceful stop timed out: exiting");
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        clearTimeout(timer);
        process.exitCode ??= 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return {
    started(running) {
      stop = running;
    },
  };
}

/** Configuration errors: one line per problem on stderr, exit code 1, no stack trace. */
export function reportStartupFailure(name: string, error: unknown): void {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`${name} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}
