import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface LoggerSettings {
  readonly level: LogLevel;
  /** Process role, e.g. "ingest" or "recorder": one field to filter a shared log on. */
  readonly name: string;
  /** Where JSON lines go; stdout when omitted (tests pass a stream to read the lines back). */
  readonly destination?: DestinationStream;
}

/**
 * JSON logs, one line per record, ISO timestamps. Event bodies are never logged whole (they may hold
 * personal data and amounts); log eventIds, counts and correlation ids instead.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    name: settings.name,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

export type { Logger };
