import {
  createDeadLetterStore,
  createLogger,
  ensureStreams,
  loadConfig,
  requireDatabase,
  startRecorder,
} from "@icm/pipeline";
import { connect } from "nats";
import { databaseSchema, onShutdownSignal, openEventStore, reportStartupFailure } from "./process.js";

/**
 * The recorder process: NATS event stream → event store. Configuration from the environment (see
 * docs/operations.md). Run as many as you like with the same ICM_RECORDER_CONSUMER: they share one durable
 * consumer (each message goes to one of them), and the store's idempotency makes overlaps harmless.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const database = requireDatabase(config);
  const schema = databaseSchema(process.env);
  const logger = createLogger({ level: config.logLevel, name: "recorder" });
  const shutdown = onShutdownSignal(logger, config.shutdownTimeoutMs);
  const store = await openEventStore(database, schema);
  // Reconnect forever: a NATS restart is an outage to ride out, not a reason to exit.
  const nc = await connect({
    servers: config.natsUrl.split(","),
    name: "icm-recorder",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // nats.js otherwise captures a stack trace per request for its async errors: garbage on the hot path.
    noAsyncTraces: true,
  });
  const jsm = await nc.jetstreamManager();
  await ensureStreams(jsm, config.topology);
  const recorder = await startRecorder({
    nc,
    topology: config.topology,
    store,
    deadLetters: createDeadLetterStore(nc.jetstream(), jsm, config.topology),
    logger,
    durableName: config.consumer.recorderName,
    limits: {
      fetchBatch: config.consumer.batchSize,
      ackWaitMs: config.consumer.ackWaitMs,
      maxDeliver: config.consumer.maxDeliver,
      appendAttempts: config.consumer.appendAttempts,
    },
  });
  const close = async () => {
    await nc.drain().catch(() => undefined);
    await store.close();
  };
  shutdown.started(async () => {
    await recorder.stop();
    await close();
  });
  recorder.done.catch(async (error: unknown) => {
    logger.fatal({ err: error }, "recorder died");
    await close().catch(() => undefined);
    process.exit(1);
  });
}

main().catch((error: unknown) => reportStartupFailure("icm-recorder", error));
