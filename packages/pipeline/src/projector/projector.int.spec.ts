import type { Statement } from "@icm/engine";
import type { EventStore, ReadAllPage } from "@icm/event-store";
import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { describeWith, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sampleHistory } from "../embedded/sample-history.js";
import { defaultValidator } from "../ingest/validator.js";
import { dumpReadModel } from "../read-model/queries.js";
import { CheckpointConflictError, readCheckpoint, setCheckpoint } from "../read-model/writer.js";
import { recordEvent } from "../recorder/record.js";
import { engineStatementModel } from "./engine-model.js";
import { ownsRep, type Partition, SINGLE_PARTITION } from "./partition.js";
import { InjectedProjectorFailure, Projector, type ProjectorOptions, startProjector } from "./projector.js";

/** The log as it stood at `through`: a real store, read through a window. */
function logUpTo(store: EventStore, through: number): EventStore {
  return {
    ...store,
    readAll: async (options): Promise<ReadAllPage> => {
      const page = await store.readAll(options);
      const events = page.events.filter((e) => e.globalPosition <= through);
      const isEnd = page.isEnd || events.length < page.events.length;
      return { events, checkpoint: isEnd ? Math.min(page.checkpoint, through) : page.checkpoint, isEnd };
    },
  };
}

await describeWith(["postgres"], "projector (PostgreSQL event store → read models)", () => {
  let store: SqlEventStore;
  const storeSchema = uniqueTestName("projector_log");
  const readModels: string[] = [];
  const events = sampleHistory({ reps: 6, deals: 150, cancelEvery: 7 });
  let clean: Record<string, string[]>;

  const options = (
    schema: string,
    extra: Partial<ProjectorOptions<Statement>> = {},
  ): ProjectorOptions<Statement> => ({
    store,
    sql: store.executor,
    schema,
    model: engineStatementModel,
    limits: { batchEvents: 50, pageSize: 64 },
    ...extra,
  });
  const freshSchema = (label: string) => {
    const schema = uniqueTestName(label);
    readModels.push(schema);
    return schema;
  };
  const project = async (schema: string, extra: Partial<ProjectorOptions<Statement>> = {}) =>
    (await Projector.open(options(schema, extra))).catchUp();

  beforeAll(async () => {
    store = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema: storeSchema });
    for (const event of events) {
      const outcome = await recordEvent(store, event, defaultValidator);
      if (outcome.kind !== "recorded") throw new Error(`fixture not recorded: ${outcome.kind}`);
    }
    const reference = freshSchema("rm_clean");
    // One big batch: the reference a batched, crashed or partitioned projection must equal.
    await project(reference, { limits: { batchEvents: 100_000, pageSize: 1_000 } });
    clean = await dumpReadModel(store.executor, reference);
  });
  afterAll(async () => {
    for (const schema of [storeSchema, ...readModels])
      await store.executor.query(`drop schema if exists "${schema}" cascade`);
    await store.close();
  });

  it("projects every statement of the log (the reference is not empty)", () => {
    expect(clean.rm_statements?.length).toBeGreaterThan(6);
    expect(clean.rm_ledger_entries?.length).toBeGreaterThan(events.length / 2);
    expect(clean.rm_attainment?.length).toBeGreaterThanOrEqual(6);
  });

  it("commits rows and checkpoint together: a crash mid-batch leaves the last commit, and a restart ends equal to a clean build", async () => {
    const schema = freshSchema("rm_crash");
    await expect(project(schema, { failAfterEvents: 137 })).rejects.toBeInstanceOf(InjectedProjectorFailure);
    // Commits happened at 50 and 100 events; the one at 137 rolled back, rows and checkpoint alike.
    expect(
      await readCheckpoint(store.executor, schema, { projection: "statements", partition: SINGLE_PARTITION }),
    ).toBe(100);
    const asOf100 = freshSchema("rm_at100");
    await (await Projector.open(options(asOf100, { store: logUpTo(store, 100) }))).catchUp();
    expect(await dumpReadModel(store.executor, schema)).toEqual(await dumpReadModel(store.executor, asOf100));
    const restarted = await Projector.open(options(schema));
    expect(restarted.stats.replayed).toBe(100);
    expect(await restarted.catchUp()).toBe(events.length);
    expect(await dumpReadModel(store.executor, schema)).toEqual(clean);
  });

  it("leaves the projection unchanged when restarted from an older checkpoint", async () => {
    const schema = freshSchema("rm_rewind");
    await project(schema);
    const key = { projection: "statements", partition: SINGLE_PARTITION };
    expect(await readCheckpoint(store.executor, schema, key)).toBe(events.length);
    await setCheckpoint(store.executor, schema, key, 40);
    const again = await Projector.open(options(schema));
    expect(again.stats.replayed).toBe(40);
    await again.catchUp();
    expect(again.stats.applied).toBe(events.length - 40);
    expect(await readCheckpoint(store.executor, schema, key)).toBe(events.length);
    expect(await dumpReadModel(store.executor, schema)).toEqual(clean);
  });

  it("two partitions together write exactly what one unpartitioned projector writes", async () => {
    const schema = freshSchema("rm_parts");
    const partitions: Partition[] = [
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ];
    const repIds = events.flatMap((e) => (e.type === "RepOnboarded" ? [e.data.repId] : []));
    for (const partition of partitions) expect(repIds.some((repId) => ownsRep(partition, repId))).toBe(true);
    await Promise.all(partitions.map((partition) => project(schema, { partition })));
    for (const partition of partitions) {
      expect(await readCheckpoint(store.executor, schema, { projection: "statements", partition })).toBe(
        events.length,
      );
    }
    expect(await dumpReadModel(store.executor, schema)).toEqual(clean);
  });

  it("follows the log live (catch-up, then new events) and stops cleanly", async () => {
    const local = await createPostgresEventStore({
      connectionString: POSTGRES_URL,
      schema: freshSchema("live_log"),
    });
    try {
      const schema = freshSchema("rm_live");
      const firstHalf = events.slice(0, 100);
      for (const event of firstHalf) await recordEvent(local, event, defaultValidator);
      const running = await startProjector({
        ...options(schema),
        store: local,
        limits: { batchEvents: 50, pollIntervalMs: 20 },
      });
      expect(await running.caughtUp).toBe(100);
      for (const event of events.slice(100)) await recordEvent(local, event, defaultValidator);
      for (let i = 0; running.stats.checkpoint < events.length; i += 1) {
        if (i > 1_000) throw new Error("projector did not reach the end of the log");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await running.stop();
      expect(await dumpReadModel(local.executor, schema)).toEqual(clean);
    } finally {
      await local.close();
    }
  });

  it("fences a second instance of the same partition", async () => {
    const schema = freshSchema("rm_fence");
    const a = await Projector.open(options(schema, { store: logUpTo(store, 60) }));
    const b = await Projector.open(options(schema, { store: logUpTo(store, 80) }));
    await a.catchUp();
    await expect(b.catchUp()).rejects.toBeInstanceOf(CheckpointConflictError);
    expect(
      await readCheckpoint(store.executor, schema, { projection: "statements", partition: SINGLE_PARTITION }),
    ).toBe(60);
  });
});
