import {
  createLogger,
  engineStatementModel,
  loadConfig,
  migrateReadModel,
  Projector,
  requireDatabase,
  resetReadModel,
  startProjector,
} from "@icm/pipeline";
import {
  databaseSchema,
  onShutdownSignal,
  openEventStore,
  reportStartupFailure,
} from "../recorder/process.js";

const USAGE = `usage: icm-projector [--rebuild] [--once]
  --rebuild  empty every read-model table and checkpoint, then project from the start of the log
             (stop every other projector instance first)
  --once     project up to the end of the log, then exit (default: keep following it)`;

/**
 * The projector process: event store → read models (attainment, ledger, statements, exceptions). One
 * instance per partition (ICM_PROJECTOR_PARTITION=k/n); read models live in the log's schema.
 */
async function main(): Promise<void> {
  const flags = process.argv.slice(2);
  const unknown = flags.filter((f) => f !== "--rebuild" && f !== "--once");
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument(s): ${unknown.join(" ")}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig(process.env);
  const database = requireDatabase(config);
  const logger = createLogger({ level: config.logLevel, name: "projector" });
  const shutdown = onShutdownSignal(logger, config.shutdownTimeoutMs);
  const store = await openEventStore(database, databaseSchema(process.env));
  const options = {
    store,
    sql: store.executor,
    schema: store.schema,
    model: engineStatementModel,
    partition: config.projectorPartition,
    logger,
  };
  if (flags.includes("--rebuild")) {
    await migrateReadModel(store.executor, store.schema);
    await resetReadModel(store.executor, store.schema);
    logger.warn({ schema: store.schema }, "read models and checkpoints emptied; projecting from the start");
  }
  if (flags.includes("--once")) {
    // A signal during a one-off run ends it unfinished: say so with a failing exit code.
    shutdown.started(async () => {
      throw new Error("interrupted before reaching the end of the log");
    });
    const projector = await Projector.open(options);
    const checkpoint = await projector.catchUp();
    logger.info({ checkpoint, stats: projector.stats }, "projected to the end of the log");
    await store.close();
    return;
  }
  const running = await startProjector(options);
  shutdown.started(async () => {
    await running.stop();
    await store.close();
  });
  running.caughtUp.then(
    (checkpoint) => logger.info({ checkpoint }, "caught up; following the log"),
    () => undefined,
  );
  running.done.catch(async (error: unknown) => {
    logger.fatal({ err: error }, "projector died");
    await store.close().catch(() => undefined);
    process.exit(1);
  });
}

main().catch((error: unknown) => reportStartupFailure("icm-projector", error));
