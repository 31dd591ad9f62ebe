import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { makeEvent } from "@icm/events";
import {
  connectPipeline,
  createLogger,
  deleteStreams,
  type PipelineConnection,
  type RunningRecorder,
  startRecorder,
  testTopology,
} from "@icm/pipeline";
import { describeWith, NATS_URL, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { IcmWorkspace } from "@icm/workflows";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pipelineWriter } from "./writer.js";

function rep(id: string) {
  return makeEvent("RepOnboarded", `rep-onboarded-${id}`, {
    repId: id,
    name: `Rep ${id}`,
    planCurrency: "USD",
    hireDate: "2026-01-05",
  });
}

/**
 * The API's NATS write path, on the real parts: publish, wait for the recorder, refresh the workspace. What
 * it reports must be what the log did, whatever messages the events travelled in.
 */
await describeWith(["nats", "postgres"], "API pipeline writer (NATS → recorder → PostgreSQL)", () => {
  const topology = testTopology("api_writer");
  const schema = uniqueTestName("api_writer");
  let store: SqlEventStore;
  let pipeline: PipelineConnection;
  let recorder: RunningRecorder;
  let workspace: IcmWorkspace;

  beforeAll(async () => {
    store = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    pipeline = await connectPipeline({ natsUrl: NATS_URL, topology, name: "api-writer-test" });
    recorder = await startRecorder({
      nc: pipeline.nc,
      topology,
      store,
      deadLetters: pipeline.deadLetters,
      logger: createLogger({ level: "silent", name: "test" }),
      durableName: uniqueTestName("rec"),
    });
    workspace = await IcmWorkspace.open({ store });
  });
  afterAll(async () => {
    await recorder.stop();
    await deleteStreams(pipeline.jsm, topology);
    await pipeline.close();
    await store.executor.query(`drop schema if exists "${schema}" cascade`);
    await store.close();
  });

  it("counts as recorded only what the log did not have, even when the stream stored the message anew", async () => {
    const writer = pipelineWriter({ publisher: pipeline.publisher, store, workspace, pollIntervalMs: 10 });
    const first = await writer.write([rep("A"), rep("B")]);
    expect(first).toMatchObject({ recorded: 2, duplicates: 0 });
    expect(workspace.lastPosition).toBe(first.lastPosition);

    // The same two again (the same message: the stream says duplicate), then with a third (a new message
    // the stream stores: only the store knows A and B are not new).
    expect(await writer.write([rep("A"), rep("B")])).toMatchObject({ recorded: 0, duplicates: 2 });
    const third = await writer.write([rep("A"), rep("B"), rep("C")]);
    expect(third).toMatchObject({ recorded: 1, duplicates: 2 });
    expect(third.lastPosition).toBeGreaterThan(first.lastPosition);
    expect(recorder.stats).toMatchObject({ recorded: 3, duplicates: 2, deadLettered: 0 });
  });
});
