import { readFileSync } from "node:fs";
import { ConfigError, LOG_LEVELS, type LogLevel, loadConfig, type NatsTopology } from "@icm/pipeline";
import { DEFAULT_STORE_SPEC } from "@icm/workflows";
import { z } from "zod";
import type { AuthConfig } from "./auth.js";
import { DEFAULT_STATEMENT_CACHE_BYTES } from "./response-cache.js";

/** Everything the API process reads from its environment (docs/api.md lists the variables). */
export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  /** Store spec as the CLI takes it: pglite:<dir>, pglite, memory, postgres://...?schema=... */
  readonly store: string;
  readonly auth: AuthConfig;
  /** "store": the API appends its writes itself; "nats": it publishes them for the pipeline's recorder. */
  readonly writeVia: "store" | "nats";
  readonly natsUrl: string;
  /**
   * The streams the API publishes to with writeVia "nats": the same ICM_STREAM_NAME, ICM_SUBJECT_PREFIX,
   * ICM_DEAD_LETTER_* variables (and rules) as the ingest server and the recorder it must meet.
   */
  readonly topology: NatsTopology;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
  readonly bodyLimitBytes: number;
  /** Bound on the serialised statements the API keeps for reuse (0 = none). */
  readonly statementCacheBytes: number;
}

export class ApiConfigError extends Error {
  override readonly name = "ApiConfigError";
}

const Env = z
  .object({
    ICM_API_HOST: z.string().min(1).default("127.0.0.1"),
    ICM_API_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    ICM_STORE: z.string().min(1).default(DEFAULT_STORE_SPEC),
    ICM_API_TOKEN_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    ICM_API_TOKEN_PUBLIC_KEY_FILE: z.string().min(1).optional(),
    ICM_API_TOKEN_ISSUER: z.string().min(1).default("icm"),
    ICM_API_TOKEN_AUDIENCE: z.string().min(1).optional(),
    ICM_API_WRITE_VIA: z.enum(["store", "nats"]).default("store"),
    ICM_NATS_URL: z.string().min(1).default("nats://127.0.0.1:4222"),
    ICM_LOG_LEVEL: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]).default("info"),
    ICM_API_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    ICM_API_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1_024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    ICM_API_STATEMENT_CACHE_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .max(64 * 1024 * 1024 * 1024)
      .default(DEFAULT_STATEMENT_CACHE_BYTES),
  })
  .refine((e) => (e.ICM_API_TOKEN_SECRET === undefined) !== (e.ICM_API_TOKEN_PUBLIC_KEY_FILE === undefined), {
    message: "set exactly one of ICM_API_TOKEN_SECRET (HS256) or ICM_API_TOKEN_PUBLIC_KEY_FILE (EdDSA, PEM)",
    path: ["ICM_API_TOKEN_SECRET"],
  });

const TOPOLOGY_VARIABLES = [
  "ICM_STREAM_NAME",
  "ICM_SUBJECT_PREFIX",
  "ICM_DEAD_LETTER_STREAM_NAME",
  "ICM_DEAD_LETTER_SUBJECT_PREFIX",
] as const;

/** Reads and checks the configuration; throws ApiConfigError naming every bad variable. */
export function loadApiConfig(env: Readonly<Record<string, string | undefined>>): ApiConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success)
    throw new ApiConfigError(
      `invalid API configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const e = parsed.data;
  // Only the topology's own variables go to the pipeline's reader: nothing else of its may fail the API.
  let topology: NatsTopology;
  try {
    topology = loadConfig(
      Object.fromEntries(TOPOLOGY_VARIABLES.map((name) => [name, env[name]] as const)),
    ).topology;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ApiConfigError(
      `invalid API configuration: ${error.problems.map((p) => `${p.variable}: ${p.rule}`).join("; ")}`,
    );
  }
  let publicKey: string | undefined;
  if (e.ICM_API_TOKEN_PUBLIC_KEY_FILE !== undefined) {
    try {
      publicKey = readFileSync(e.ICM_API_TOKEN_PUBLIC_KEY_FILE, "utf8");
    } catch (error) {
      throw new ApiConfigError(`ICM_API_TOKEN_PUBLIC_KEY_FILE: ${(error as Error).message}`);
    }
  }
  return {
    host: e.ICM_API_HOST,
    port: e.ICM_API_PORT,
    store: e.ICM_STORE,
    auth: {
      issuer: e.ICM_API_TOKEN_ISSUER,
      ...(e.ICM_API_TOKEN_SECRET === undefined ? {} : { secret: e.ICM_API_TOKEN_SECRET }),
      ...(publicKey === undefined ? {} : { publicKey }),
      ...(e.ICM_API_TOKEN_AUDIENCE === undefined ? {} : { audience: e.ICM_API_TOKEN_AUDIENCE }),
    },
    writeVia: e.ICM_API_WRITE_VIA,
    natsUrl: e.ICM_NATS_URL,
    topology,
    logLevel: e.ICM_LOG_LEVEL,
    shutdownTimeoutMs: e.ICM_API_SHUTDOWN_TIMEOUT_MS,
    bodyLimitBytes: e.ICM_API_BODY_LIMIT_BYTES,
    statementCacheBytes: e.ICM_API_STATEMENT_CACHE_BYTES,
  };
}
