import { createLogger, deleteStreams, loadConfig, testTopology } from "@icm/pipeline";
import { describeWith, NATS_URL } from "@icm/testing";
import { connect } from "nats";
import { expect, it } from "vitest";
import { startIngestServer } from "./server.js";

await describeWith(["nats"], "ingest server from configuration", () => {
  it("creates the streams, serves /ready and POST /events on a real port, and shuts down cleanly", async () => {
    const topology = testTopology("server");
    const config = loadConfig({
      ICM_NATS_URL: NATS_URL,
      ICM_HTTP_HOST: "127.0.0.1",
      ICM_HTTP_PORT: "0",
      ICM_STREAM_NAME: topology.streamName,
      ICM_SUBJECT_PREFIX: topology.subjectPrefix,
      ICM_DEAD_LETTER_STREAM_NAME: topology.deadLetterStreamName,
      ICM_DEAD_LETTER_SUBJECT_PREFIX: topology.deadLetterSubjectPrefix,
      ICM_INGEST_MAX_BATCH: "2",
    });
    const exits: number[] = [];
    const server = await startIngestServer(config, {
      logger: createLogger({ level: "silent", name: "test" }),
      signals: [],
      exit: (code) => exits.push(code),
    });
    const nc = await connect({ servers: NATS_URL });
    try {
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(200);
      const event = {
        eventId: "rep-onboarded-R-srv",
        type: "RepOnboarded",
        schemaVersion: 1,
        data: { repId: "R-srv", name: "Srv", planCurrency: "USD", hireDate: "2026-01-05" },
      };
      const posted = await fetch(`${server.url}/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ events: [event] }),
      });
      expect(posted.status).toBe(202);
      const tooMany = await fetch(`${server.url}/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([event, event, event]),
      });
      expect(tooMany.status).toBe(413);
      expect(((await tooMany.json()) as { error: { message: string } }).error.message).toBe(
        "batch has 3 events; the limit is 2",
      );
      const jsm = await nc.jetstreamManager();
      expect((await jsm.streams.info(topology.streamName)).state.messages).toBe(1);

      await server.shutdown.shutdown("test");
      expect(exits).toEqual([0]);
      expect(server.pipeline.nc.isClosed()).toBe(true);
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    } finally {
      await deleteStreams(await nc.jetstreamManager(), topology);
      await nc.close();
    }
  });
});
