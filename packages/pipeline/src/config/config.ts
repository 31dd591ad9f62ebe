import { z } from "zod";
import { LOG_LEVELS, type LogLevel } from "../logging/logger.js";
import type { NatsTopology } from "../nats/topology.js";
import { type Partition, parsePartition } from "../projector/partition.js";

/** Where the event store lives: a PostgreSQL server, or an embedded PGlite (in memory, or on disk). */
export type DatabaseConfig =
  | { readonly kind: "postgres"; readonly connectionString: string }
  | { readonly kind: "pglite"; readonly dataDir?: string };

export interface PipelineConfig {
  readonly natsUrl: string;
  readonly database?: DatabaseConfig;
  readonly http: { readonly host: string; readonly port: number; readonly bodyLimitBytes: number };
  readonly logLevel: LogLevel;
  readonly topology: NatsTopology;
  readonly ingest: { readonly maxBatchEvents: number; readonly maxEventBytes: number };
  readonly publish: {
    readonly maxInFlight: number;
    readonly ackTimeoutMs: number;
    readonly maxAttempts: number;
  };
  readonly import: { readonly batchSize: number };
  readonly consumer: {
    /** Messages fetched per pull by the recorder and projector. */
    readonly batchSize: number;
    /** How long NATS waits for an ack before redelivering. */
    readonly ackWaitMs: number;
    /** Deliveries before a message is given up on (and dead-lettered by the recorder). */
    readonly maxDeliver: number;
    /** Appends of one batch while the store fails, retried in place, before its events are dead-lettered. */
    readonly appendAttempts: number;
    readonly recorderName: string;
    readonly projectorName: string;
  };
  readonly projectorPartition: Partition;
  readonly shutdownTimeoutMs: number;
}

export interface ConfigProblem {
  readonly variable: string;
  readonly rule: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.rule}`).join("\n")}`);
  }
}

/** Environment variables read by loadConfig, with their defaults; `docs` lists the same table. */
export const CONFIG_DEFAULTS = {
  ICM_NATS_URL: "nats://127.0.0.1:4222",
  ICM_HTTP_HOST: "0.0.0.0",
  ICM_HTTP_PORT: "8080",
  ICM_HTTP_BODY_LIMIT_BYTES: String(4 * 1024 * 1024),
  ICM_LOG_LEVEL: "info",
  ICM_STREAM_NAME: "ICM_EVENTS",
  ICM_SUBJECT_PREFIX: "icm.events",
  ICM_DEAD_LETTER_STREAM_NAME: "ICM_DEAD_LETTERS",
  ICM_DEAD_LETTER_SUBJECT_PREFIX: "icm.dead",
  ICM_INGEST_MAX_BATCH: "5000",
  ICM_INGEST_MAX_EVENT_BYTES: String(256 * 1024),
  ICM_PUBLISH_MAX_IN_FLIGHT: "256",
  ICM_PUBLISH_ACK_TIMEOUT_MS: "5000",
  ICM_PUBLISH_MAX_ATTEMPTS: "3",
  ICM_IMPORT_BATCH_SIZE: "500",
  ICM_CONSUMER_BATCH_SIZE: "500",
  ICM_CONSUMER_ACK_WAIT_MS: "30000",
  ICM_CONSUMER_MAX_DELIVER: "5",
  ICM_RECORDER_APPEND_ATTEMPTS: "12",
  ICM_RECORDER_CONSUMER: "icm-recorder",
  ICM_PROJECTOR_CONSUMER: "icm-projector",
  ICM_PROJECTOR_PARTITION: "0/1",
  ICM_SHUTDOWN_TIMEOUT_MS: "10000",
} as const;

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

const streamName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-' (a NATS stream name)");

const subjectPrefix = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    "must be dot-separated tokens without wildcards or spaces, e.g. icm.events",
  );

const natsUrl = z
  .string()
  .refine(
    (s) => s.split(",").every((part) => /^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$/.test(part.trim())),
    "must be a NATS URL such as nats://127.0.0.1:4222 (several may be separated by commas)",
  );

const databaseUrl = z.string().transform((text, ctx): DatabaseConfig => {
  if (text === "pglite:" || text === "pglite://" || text === "pglite") return { kind: "pglite" };
  if (text.startsWith("pglite:")) {
    const dataDir = text.slice("pglite:".length).replace(/^\/\/(?=\/)/, "");
    if (dataDir.trim() === "") {
      ctx.addIssue({ code: "custom", message: 'must be "pglite:" (in memory) or "pglite:/path/to/dir"' });
      return z.NEVER;
    }
    return { kind: "pglite", dataDir };
  }
  if (/^postgres(ql)?:\/\/\S+$/.test(text)) return { kind: "postgres", connectionString: text };
  ctx.addIssue({
    code: "custom",
    message: 'must be postgres://user@host:port/db, "pglite:" (in memory) or "pglite:/path/to/dir"',
  });
  return z.NEVER;
});

const partition = z.string().transform((text, ctx): Partition => {
  try {
    return parsePartition(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `${(error as Error).message} (k is 0-based: 0/4 .. 3/4)` });
    return z.NEVER;
  }
});

const consumerName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-'");

const EnvSchema = z.object({
  ICM_NATS_URL: natsUrl,
  ICM_DATABASE_URL: databaseUrl.optional(),
  ICM_HTTP_HOST: z.string().min(1, "must not be empty"),
  ICM_HTTP_PORT: integer(0, 65_535),
  ICM_HTTP_BODY_LIMIT_BYTES: integer(1024, 64 * 1024 * 1024),
  ICM_LOG_LEVEL: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], {
    error: `must be one of ${LOG_LEVELS.join(", ")}`,
  }),
  ICM_STREAM_NAME: streamName,
  ICM_SUBJECT_PREFIX: subjectPrefix,
  ICM_DEAD_LETTER_STREAM_NAME: streamName,
  ICM_DEAD_LETTER_SUBJECT_PREFIX: subjectPrefix,
  ICM_INGEST_MAX_BATCH: integer(1, 100_000),
  // A dead letter wraps the event verbatim in one NATS message (1 MiB max_payload by default).
  ICM_INGEST_MAX_EVENT_BYTES: integer(1024, 512 * 1024),
  ICM_PUBLISH_MAX_IN_FLIGHT: integer(1, 10_000),
  ICM_PUBLISH_ACK_TIMEOUT_MS: integer(100, 600_000),
  ICM_PUBLISH_MAX_ATTEMPTS: integer(1, 20),
  ICM_IMPORT_BATCH_SIZE: integer(1, 10_000),
  ICM_CONSUMER_BATCH_SIZE: integer(1, 5_000),
  ICM_CONSUMER_ACK_WAIT_MS: integer(1_000, 3_600_000),
  ICM_CONSUMER_MAX_DELIVER: integer(1, 1_000),
  ICM_RECORDER_APPEND_ATTEMPTS: integer(1, 1_000),
  ICM_RECORDER_CONSUMER: consumerName,
  ICM_PROJECTOR_CONSUMER: consumerName,
  ICM_PROJECTOR_PARTITION: partition,
  ICM_SHUTDOWN_TIMEOUT_MS: integer(0, 600_000),
});

/**
 * Reads the pipeline configuration from environment variables. Unset variables take CONFIG_DEFAULTS
 * (ICM_DATABASE_URL has none: only processes that record or project need it, see requireDatabase).
 * Throws one ConfigError listing every bad value, each naming the variable and the rule it breaks.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): PipelineConfig {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    input[key] =
      value === undefined || value === "" ? (CONFIG_DEFAULTS as Record<string, string>)[key] : value;
  }
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? "environment"),
      rule: issue.message,
    }));
    problems.sort((a, b) => (a.variable < b.variable ? -1 : a.variable > b.variable ? 1 : 0));
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const config: PipelineConfig = {
    natsUrl: e.ICM_NATS_URL,
    http: { host: e.ICM_HTTP_HOST, port: e.ICM_HTTP_PORT, bodyLimitBytes: e.ICM_HTTP_BODY_LIMIT_BYTES },
    logLevel: e.ICM_LOG_LEVEL,
    topology: {
      streamName: e.ICM_STREAM_NAME,
      subjectPrefix: e.ICM_SUBJECT_PREFIX,
      deadLetterStreamName: e.ICM_DEAD_LETTER_STREAM_NAME,
      deadLetterSubjectPrefix: e.ICM_DEAD_LETTER_SUBJECT_PREFIX,
    },
    ingest: { maxBatchEvents: e.ICM_INGEST_MAX_BATCH, maxEventBytes: e.ICM_INGEST_MAX_EVENT_BYTES },
    publish: {
      maxInFlight: e.ICM_PUBLISH_MAX_IN_FLIGHT,
      ackTimeoutMs: e.ICM_PUBLISH_ACK_TIMEOUT_MS,
      maxAttempts: e.ICM_PUBLISH_MAX_ATTEMPTS,
    },
    import: { batchSize: e.ICM_IMPORT_BATCH_SIZE },
    consumer: {
      batchSize: e.ICM_CONSUMER_BATCH_SIZE,
      ackWaitMs: e.ICM_CONSUMER_ACK_WAIT_MS,
      maxDeliver: e.ICM_CONSUMER_MAX_DELIVER,
      appendAttempts: e.ICM_RECORDER_APPEND_ATTEMPTS,
      recorderName: e.ICM_RECORDER_CONSUMER,
      projectorName: e.ICM_PROJECTOR_CONSUMER,
    },
    projectorPartition: e.ICM_PROJECTOR_PARTITION,
    shutdownTimeoutMs: e.ICM_SHUTDOWN_TIMEOUT_MS,
  };
  if (config.topology.streamName === config.topology.deadLetterStreamName) {
    throw new ConfigError([
      { variable: "ICM_DEAD_LETTER_STREAM_NAME", rule: "must differ from ICM_STREAM_NAME" },
    ]);
  }
  if (overlaps(config.topology.subjectPrefix, config.topology.deadLetterSubjectPrefix)) {
    throw new ConfigError([
      {
        variable: "ICM_DEAD_LETTER_SUBJECT_PREFIX",
        rule: "must not overlap ICM_SUBJECT_PREFIX (one may not start the other)",
      },
    ]);
  }
  return e.ICM_DATABASE_URL ? { ...config, database: e.ICM_DATABASE_URL } : config;
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

/** The database, for processes that cannot run without one (recorder, projector). */
export function requireDatabase(config: PipelineConfig): DatabaseConfig {
  if (!config.database) {
    throw new ConfigError([
      {
        variable: "ICM_DATABASE_URL",
        rule: 'is required: postgres://user@host:port/db, "pglite:" or "pglite:/path"',
      },
    ]);
  }
  return config.database;
}
