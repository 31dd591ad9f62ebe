import {
  buildIngestApp,
  connectPipeline,
  createLogger,
  type GracefulShutdown,
  installGracefulShutdown,
  type Logger,
  natsReadiness,
  type PipelineConfig,
  type PipelineConnection,
} from "@icm/pipeline";
import type { FastifyInstance } from "fastify";

export interface IngestServer {
  readonly app: FastifyInstance;
  readonly pipeline: PipelineConnection;
  /** `http://host:port` actually bound (port 0 picks a free one). */
  readonly url: string;
  readonly shutdown: GracefulShutdown;
}

export interface StartIngestOptions {
  readonly logger?: Logger;
  /** Signals that trigger the graceful shutdown; none in tests. */
  readonly signals?: readonly NodeJS.Signals[];
  readonly exit?: (code: number) => void;
}

/**
 * Connects to NATS (creating the streams if missing), serves the ingest API and installs the graceful
 * shutdown: on SIGTERM stop accepting, finish in-flight requests, drain NATS, exit.
 */
export async function startIngestServer(
  config: PipelineConfig,
  options: StartIngestOptions = {},
): Promise<IngestServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: "icm-ingest" });
  const pipeline = await connectPipeline({
    natsUrl: config.natsUrl,
    topology: config.topology,
    name: "icm-ingest",
    publish: config.publish,
  });
  const app = buildIngestApp({
    publisher: pipeline.publisher,
    deadLetters: pipeline.deadLetters,
    limits: {
      bodyLimitBytes: config.http.bodyLimitBytes,
      maxBatchEvents: config.ingest.maxBatchEvents,
      maxEventBytes: config.ingest.maxEventBytes,
    },
    logger,
    readiness: natsReadiness(pipeline.nc, pipeline.topology),
  });
  try {
    const url = await app.listen({ host: config.http.host, port: config.http.port });
    const shutdown = installGracefulShutdown({
      close: () => app.close(),
      afterClose: () => pipeline.close(),
      timeoutMs: config.shutdownTimeoutMs,
      logger,
      ...(options.signals ? { signals: options.signals } : {}),
      ...(options.exit ? { exit: options.exit } : {}),
    });
    logger.info({ url, stream: config.topology.streamName }, "ingest server listening");
    return { app, pipeline, url, shutdown };
  } catch (error) {
    await app.close();
    await pipeline.close();
    throw error;
  }
}
