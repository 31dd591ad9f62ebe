import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import type { DomainEvent } from "@icm/events";
import {
  connectPipeline,
  deleteStreams,
  type PipelineConnection,
  type RunningRecorder,
  startRecorder,
  testTopology,
} from "@icm/pipeline";
import { NATS_URL, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { IcmWorkspace } from "@icm/workflows";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import {
  buildApiApp,
  type EventWriter,
  type Principal,
  pipelineWriter,
  signToken,
} from "../../services/icm/src/api/index.js";

// One real deployment per test file: PostgreSQL event store (own schema), NATS JetStream streams (own
// names), the pipeline's recorder appending what is published, and the API on a real listening port whose
// writes go through NATS too. Torn down completely by stop().

export const SECRET = "api-e2e-secret-that-is-at-least-32-bytes";
export const ISSUER = "icm-test";
/** The date the API takes as "today" for managers' teams. */
export const TODAY = "2026-06-30";

export interface Deployment {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly store: SqlEventStore;
  readonly schema: string;
  readonly workspace: IcmWorkspace;
  /** The ingest path: validate, publish to NATS, wait for the recorder. */
  readonly ingest: EventWriter;
  token(claims: Principal): Promise<string>;
  /** fetch against the API with a bearer token (or none). */
  call(path: string, options?: { token?: string; method?: string; body?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

export async function deploy(name: string): Promise<Deployment> {
  const schema = uniqueTestName(name);
  const store = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
  const topology = testTopology(name);
  const logger = pino({ level: process.env.DEBUG_API ? "debug" : "silent" });
  let pipeline: PipelineConnection | undefined;
  let recorder: RunningRecorder | undefined;
  let app: FastifyInstance | undefined;
  const stop = async (): Promise<void> => {
    await app?.close();
    await recorder?.stop();
    if (pipeline !== undefined) {
      await deleteStreams(pipeline.jsm, topology);
      await pipeline.close();
    }
    await store.executor.query(`drop schema if exists "${schema}" cascade`);
    await store.close();
  };
  try {
    pipeline = await connectPipeline({ natsUrl: NATS_URL, topology, name: `api-test-${name}` });
    recorder = await startRecorder({
      nc: pipeline.nc,
      topology,
      store,
      deadLetters: pipeline.deadLetters,
      logger,
      durableName: uniqueTestName("api_rec"),
    });
    const workspace = await IcmWorkspace.open({ store });
    const ingest = pipelineWriter({ publisher: pipeline.publisher, store, workspace });
    app = await buildApiApp({
      workspace,
      auth: { secret: SECRET, issuer: ISSUER },
      logger,
      writer: ingest,
      today: () => TODAY,
      now: () => "2026-04-05T09:00:00.000Z",
    });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const listening = app;
    return {
      url,
      app: listening,
      store,
      schema,
      workspace,
      ingest,
      token: (claims) => signToken(claims, SECRET, { issuer: ISSUER }),
      call: (path, options = {}) =>
        fetch(`${url}${path}`, {
          method: options.method ?? (options.body === undefined ? "GET" : "POST"),
          headers: {
            ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
            ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export type { DomainEvent };
