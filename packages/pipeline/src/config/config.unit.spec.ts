import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, requireDatabase } from "./config.js";

function problemsOf(env: Record<string, string>): { variable: string; rule: string }[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("gives the documented defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config.natsUrl).toBe("nats://127.0.0.1:4222");
    expect(config.http).toEqual({ host: "0.0.0.0", port: 8080, bodyLimitBytes: 4 * 1024 * 1024 });
    expect(config.topology).toEqual({
      streamName: "ICM_EVENTS",
      subjectPrefix: "icm.events",
      deadLetterStreamName: "ICM_DEAD_LETTERS",
      deadLetterSubjectPrefix: "icm.dead",
    });
    expect(config.ingest.maxBatchEvents).toBe(5000);
    expect(config.consumer.appendAttempts).toBe(12);
    expect(config.projectorPartition).toEqual({ index: 0, count: 1 });
    expect(config.database).toBeUndefined();
    expect(() => requireDatabase(config)).toThrow(/ICM_DATABASE_URL: is required/);
  });

  it("reads every variable that is set", () => {
    const config = loadConfig({
      ICM_NATS_URL: "nats://nats-1:4222,nats://nats-2:4222",
      ICM_DATABASE_URL: "postgres://icm@db:5432/icm",
      ICM_HTTP_PORT: "9090",
      ICM_HTTP_HOST: "127.0.0.1",
      ICM_LOG_LEVEL: "debug",
      ICM_STREAM_NAME: "EVENTS_A",
      ICM_PROJECTOR_PARTITION: "2/4",
      ICM_CONSUMER_MAX_DELIVER: "7",
      ICM_RECORDER_APPEND_ATTEMPTS: "3",
    });
    expect(config.natsUrl).toBe("nats://nats-1:4222,nats://nats-2:4222");
    expect(config.database).toEqual({ kind: "postgres", connectionString: "postgres://icm@db:5432/icm" });
    expect(config.http.port).toBe(9090);
    expect(config.http.host).toBe("127.0.0.1");
    expect(config.logLevel).toBe("debug");
    expect(config.topology.streamName).toBe("EVENTS_A");
    expect(config.projectorPartition).toEqual({ index: 2, count: 4 });
    expect(config.consumer.maxDeliver).toBe(7);
    expect(config.consumer.appendAttempts).toBe(3);
  });

  it("understands pglite in memory and on disk", () => {
    expect(loadConfig({ ICM_DATABASE_URL: "pglite:" }).database).toEqual({ kind: "pglite" });
    expect(loadConfig({ ICM_DATABASE_URL: "pglite:/var/lib/icm" }).database).toEqual({
      kind: "pglite",
      dataDir: "/var/lib/icm",
    });
    expect(loadConfig({ ICM_DATABASE_URL: "pglite:///var/lib/icm" }).database).toEqual({
      kind: "pglite",
      dataDir: "/var/lib/icm",
    });
  });

  it("lists every bad value at once, each naming the variable and the rule", () => {
    const problems = problemsOf({
      ICM_NATS_URL: "http://nats:4222",
      ICM_DATABASE_URL: "mysql://db",
      ICM_HTTP_PORT: "80a",
      ICM_LOG_LEVEL: "verbose",
      ICM_STREAM_NAME: "icm events",
      ICM_SUBJECT_PREFIX: "icm.*",
      ICM_INGEST_MAX_BATCH: "0",
      ICM_PROJECTOR_PARTITION: "4/4",
    });
    expect(problems.map((p) => p.variable)).toEqual([
      "ICM_DATABASE_URL",
      "ICM_HTTP_PORT",
      "ICM_INGEST_MAX_BATCH",
      "ICM_LOG_LEVEL",
      "ICM_NATS_URL",
      "ICM_PROJECTOR_PARTITION",
      "ICM_STREAM_NAME",
      "ICM_SUBJECT_PREFIX",
    ]);
    const rule = (variable: string) => problems.find((p) => p.variable === variable)?.rule;
    expect(rule("ICM_HTTP_PORT")).toBe("must be a whole number from 0 to 65535");
    expect(rule("ICM_INGEST_MAX_BATCH")).toBe("must be a whole number from 1 to 100000");
    expect(rule("ICM_LOG_LEVEL")).toBe("must be one of fatal, error, warn, info, debug, trace, silent");
    expect(rule("ICM_NATS_URL")).toMatch(/^must be a NATS URL/);
    expect(rule("ICM_DATABASE_URL")).toMatch(/^must be postgres:\/\//);
    expect(rule("ICM_PROJECTOR_PARTITION")).toMatch(/partition index must be an integer 0\.\.3, got 4/);
  });

  it("puts the variable names and rules in the error message", () => {
    expect(() => loadConfig({ ICM_HTTP_PORT: "70000" })).toThrow(
      "invalid configuration:\n  ICM_HTTP_PORT: must be a whole number from 0 to 65535",
    );
  });

  it("refuses dead letters sharing the event stream or its subjects", () => {
    expect(problemsOf({ ICM_DEAD_LETTER_STREAM_NAME: "ICM_EVENTS" })).toEqual([
      { variable: "ICM_DEAD_LETTER_STREAM_NAME", rule: "must differ from ICM_STREAM_NAME" },
    ]);
    expect(problemsOf({ ICM_DEAD_LETTER_SUBJECT_PREFIX: "icm.events.dead" })[0]?.variable).toBe(
      "ICM_DEAD_LETTER_SUBJECT_PREFIX",
    );
  });
});
