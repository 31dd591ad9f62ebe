import {
  connectPipeline,
  createLogger,
  type GracefulShutdown,
  installGracefulShutdown,
  type Logger,
  type PipelineConnection,
} from "@icm/pipeline";
import { IcmWorkspace, openStore } from "@icm/workflows";
import type { FastifyInstance } from "fastify";
import { buildApiApp } from "./app.js";
import type { ApiConfig } from "./config.js";
import { pipelineWriter } from "./writer.js";

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly workspace: IcmWorkspace;
  /** `http://host:port` actually bound (port 0 picks a free one). */
  readonly url: string;
  readonly shutdown: GracefulShutdown;
}

export interface StartApiOptions {
  readonly logger?: Logger;
  /** Signals that trigger the graceful shutdown; none in tests. */
  readonly signals?: readonly NodeJS.Signals[];
  readonly exit?: (code: number) => void;
}

/**
 * Opens the store, replays it into a workspace, serves the API, and installs the graceful shutdown: on
 * SIGTERM / SIGINT stop accepting, finish in-flight requests, drain NATS, close the store, exit.
 */
export async function startApiServer(config: ApiConfig, options: StartApiOptions = {}): Promise<ApiServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: "icm-api" });
  const store = await openStore(config.store);
  let pipeline: PipelineConnection | undefined;
  let app: FastifyInstance | undefined;
  try {
    const workspace = await IcmWorkspace.open({ store });
    if (config.writeVia === "nats")
      pipeline = await connectPipeline({
        natsUrl: config.natsUrl,
        topology: config.topology,
        name: "icm-api",
      });
    app = await buildApiApp({
      workspace,
      auth: config.auth,
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      statementCacheBytes: config.statementCacheBytes,
      ...(pipeline === undefined
        ? {}
        : { writer: pipelineWriter({ publisher: pipeline.publisher, store, workspace }) }),
    });
    const url = await app.listen({ host: config.host, port: config.port });
    const listening = app;
    const connection = pipeline;
    const shutdown = installGracefulShutdown({
      close: () => listening.close(),
      afterClose: async () => {
        await connection?.close();
        await store.close();
      },
      timeoutMs: config.shutdownTimeoutMs,
      logger,
      ...(options.signals ? { signals: options.signals } : {}),
      ...(options.exit ? { exit: options.exit } : {}),
    });
    logger.info(
      {
        url,
        store: config.store.replace(/\/\/[^@/]*@/, "//***@"),
        writeVia: config.writeVia,
        position: workspace.lastPosition,
      },
      "api listening",
    );
    return { app, workspace, url, shutdown };
  } catch (error) {
    await app?.close();
    await pipeline?.close();
    await store.close();
    throw error;
  }
}
