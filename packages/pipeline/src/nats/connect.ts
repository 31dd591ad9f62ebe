import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from "nats";
import {
  createDeadLetterStore,
  type DeadLetterStore,
  type DeadLetterStoreOptions,
} from "../dead-letter/store.js";
import { createEventPublisher, type EventPublisher, type PublishOptions } from "./publisher.js";
import { DEFAULT_STREAM_LIMITS, ensureStreams, type NatsTopology, type StreamLimits } from "./topology.js";

export interface PipelineConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly topology: NatsTopology;
  readonly publisher: EventPublisher;
  readonly deadLetters: DeadLetterStore;
  /** Drains the connection: pending publishes get their acks before it closes. */
  close(): Promise<void>;
}

export interface ConnectPipelineOptions {
  /** One URL or several separated by commas. */
  readonly natsUrl: string;
  readonly topology: NatsTopology;
  readonly name?: string;
  readonly publish?: PublishOptions;
  readonly deadLetters?: DeadLetterStoreOptions;
  readonly streamLimits?: StreamLimits;
  /** Create the streams when missing (default true). */
  readonly ensureStreams?: boolean;
  readonly connectTimeoutMs?: number;
}

/**
 * Connects to NATS, makes sure the streams exist, and wires a publisher and a dead-letter store. The
 * connection reconnects forever (a NATS restart must not kill the pipeline); publishes made while it is
 * away fail after their ack timeout and bounded retries, and callers answer 503.
 */
export async function connectPipeline(options: ConnectPipelineOptions): Promise<PipelineConnection> {
  const nc = await connect({
    servers: options.natsUrl.split(",").map((s) => s.trim()),
    name: options.name ?? "icm-pipeline",
    timeout: options.connectTimeoutMs ?? 5_000,
    reconnect: true,
    maxReconnectAttempts: -1,
    // nats.js otherwise captures a stack trace (an Error) for every request and pull, in case it fails:
    // measurable CPU and garbage at thousands of requests a second, for a trace that rarely helps.
    noAsyncTraces: true,
  });
  try {
    const jsm = await nc.jetstreamManager();
    if (options.ensureStreams ?? true)
      await ensureStreams(jsm, options.topology, options.streamLimits ?? DEFAULT_STREAM_LIMITS);
    const js = nc.jetstream();
    return {
      nc,
      js,
      jsm,
      topology: options.topology,
      publisher: createEventPublisher(js, options.topology, options.publish),
      deadLetters: createDeadLetterStore(js, jsm, options.topology, options.deadLetters),
      close: async () => {
        if (!nc.isClosed()) await nc.drain();
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
