import { Engine, type Statement } from "@icm/engine";
import { type EventStore, NO_CONCURRENCY_CHECK, type ReadAllPage } from "@icm/event-store";
import { readAllEvents } from "@icm/event-store/contract";
import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import { type DomainEvent, makeEvent, parseEventOrThrow, streamIdFor } from "@icm/events";
import { describeWith, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sampleHistory } from "../embedded/sample-history.js";
import { defaultValidator } from "../ingest/validator.js";
import { dumpReadModel } from "../read-model/queries.js";
import { CheckpointConflictError, readCheckpoint, setCheckpoint } from "../read-model/writer.js";
import { recordEvent, toAppend } from "../recorder/record.js";
import { engineStatementModel } from "./engine-model.js";
import { ownsRep, type Partition, SINGLE_PARTITION } from "./partition.js";
import { InjectedProjectorFailure, Projector, type ProjectorOptions, startProjector } from "./projector.js";

/** Commit pacing by age off, so that only the event bounds decide when a test's projector commits. */
const NO_COMMITS_BY_AGE = { maxCommitDelayMs: 3_600_000, catchUpMaxCommitDelayMs: 3_600_000 };

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

/**
 * The sample history plus what gives the period exceptions something to hold and to drop between commits:
 * a deal crediting a rep nobody onboarded (company-wide), a dispute raised a third of the way in and
 * resolved two thirds of the way in (one rep's statement has it, then no longer), and a deal whose splits
 * add up to less than one (a statement exception of its reps).
 */
function withPeriodExceptions(sample: readonly DomainEvent[]): DomainEvent[] {
  const third = Math.floor(sample.length / 3);
  const deal = sample.find((e) => e.type === "DealClosed");
  if (deal === undefined || deal.type !== "DealClosed") throw new Error("the sample history has no deal");
  const closeDate = deal.data.closeDate;
  const period = closeDate.slice(0, 7);
  const repId = deal.data.splits[0]?.repId ?? "R-0001";
  const dealLike = (dealId: string, splits: { repId: string; share: string }[]) =>
    makeEvent("DealClosed", `${dealId}-closed`, { ...deal.data, dealId, splits });
  return [
    ...sample.slice(0, third),
    dealLike("D-GHOST", [{ repId: "R-GHOST", share: "1" }]),
    makeEvent("DisputeRaised", "dispute-1", {
      disputeId: "DSP-1",
      repId,
      period,
      reason: "missing deal",
      raisedBy: repId,
    }),
    ...sample.slice(third, 2 * third),
    dealLike("D-SHORT", [
      { repId, share: "0.5" },
      { repId: "R-0002", share: "0.4" },
    ]),
    makeEvent("DisputeResolved", "dispute-1-resolved", {
      disputeId: "DSP-1",
      resolution: "explained",
      resolvedBy: "ops",
    }),
    ...sample.slice(2 * third),
  ];
}

await describeWith(["postgres"], "projector (PostgreSQL event store → read models)", () => {
  let store: SqlEventStore;
  const storeSchema = uniqueTestName("projector_log");
  const readModels: string[] = [];
  const events = withPeriodExceptions(sampleHistory({ reps: 6, deals: 150, cancelEvery: 7 }));
  let clean: Record<string, string[]>;

  const options = (
    schema: string,
    extra: Partial<ProjectorOptions<Statement>> = {},
  ): ProjectorOptions<Statement> => ({
    store,
    sql: store.executor,
    schema,
    model: engineStatementModel,
    // catchUpBatchEvents as batchEvents: these tests crash and resume between small commits while behind.
    limits: { batchEvents: 50, catchUpBatchEvents: 50, pageSize: 64 },
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
    // The comparisons below also cover the period exceptions partition 0 keeps incrementally.
    expect(clean.rm_period_exceptions?.length).toBeGreaterThan(0);
  });

  it("keeps the period exceptions a pass over every rep and period computes, with commits of 50 events", async () => {
    const schema = freshSchema("rm_exc");
    await project(schema);
    // The reference: a fresh engine over the whole log, every rep's statement of every period (no projector).
    const engine = new Engine();
    for (const recorded of await readAllEvents(store)) {
      const { eventId, type, schemaVersion, data, metadata } = recorded;
      const event = parseEventOrThrow({ eventId, type, schemaVersion, data, metadata });
      engine.apply({ globalPosition: recorded.globalPosition, event });
    }
    const periods = (
      await store.executor.query<{ period: string }>(
        `select distinct period from "${schema}".rm_statements order by period`,
      )
    ).map((r) => r.period);
    const expected = [...engine.periodExceptionsOf(periods)].flatMap(([period, exceptions]) =>
      exceptions.map((x) => `${period}|${x.code}|${x.repId ?? ""}|${x.dealId ?? ""}`),
    );
    const rows = await store.executor.query<{
      period: string;
      code: string;
      rep_id: string | null;
      deal_id: string | null;
    }>(`select period, code, rep_id, deal_id from "${schema}".rm_period_exceptions order by period, ordinal`);
    const actual = rows.map((r) => `${r.period}|${r.code}|${r.rep_id ?? ""}|${r.deal_id ?? ""}`);
    expect(actual).toEqual(expected);
    // What the fixture adds is there: the unknown rep and the short splits; the resolved dispute is gone.
    expect(actual.some((line) => line.includes("|unknown_rep|R-GHOST|"))).toBe(true);
    expect(actual.some((line) => line.includes("|bad_splits|"))).toBe(true);
    expect(actual.some((line) => line.includes("|open_dispute|"))).toBe(false);
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

  it("commits less often while behind, and ends with the rows of a run that committed after every event", async () => {
    const oneByOne = freshSchema("rm_one_by_one");
    const reference = await Projector.open(
      options(oneByOne, { limits: { batchEvents: 1, catchUpBatchEvents: 1, pageSize: 64 } }),
    );
    await reference.catchUp();
    expect(reference.stats.commits).toBe(events.length);

    const schema = freshSchema("rm_catch_up");
    const limits = { batchEvents: 10, catchUpBatchEvents: 60, pageSize: 16, ...NO_COMMITS_BY_AGE };
    const catchingUp = await Projector.open(options(schema, { limits }));
    await catchingUp.catchUp();
    expect(catchingUp.stats.applied).toBe(events.length);
    // Full pages commit every catchUpBatchEvents; only the last page (the end of the log) by batchEvents.
    expect(catchingUp.stats.commits).toBeLessThanOrEqual(
      Math.ceil(events.length / limits.catchUpBatchEvents) + Math.ceil(limits.pageSize / limits.batchEvents),
    );
    expect(catchingUp.stats.commits).toBeLessThan(Math.ceil(events.length / limits.batchEvents));
    const rows = await dumpReadModel(store.executor, schema);
    expect(rows).toEqual(await dumpReadModel(store.executor, oneByOne));
    expect(rows).toEqual(clean);
  });

  it("keeps the live batch once the page it applies is the end of the log", async () => {
    const through = 60;
    const limits = { batchEvents: 10, catchUpBatchEvents: 1_000, pageSize: 64, ...NO_COMMITS_BY_AGE };
    // One page holds the whole (windowed) log: the projector is not behind, so it commits every batchEvents.
    const live = await Projector.open(
      options(freshSchema("rm_live_batch"), { store: logUpTo(store, through), limits }),
    );
    await live.catchUp();
    expect(live.stats.commits).toBe(Math.ceil(through / limits.batchEvents));
    // The same events in pages of 16: the full pages are one catch-up batch, the last page is live again.
    const paged = await Projector.open(
      options(freshSchema("rm_paged_batch"), {
        store: logUpTo(store, through),
        limits: { ...limits, pageSize: 16 },
      }),
    );
    await paged.catchUp();
    expect(paged.stats.commits).toBeLessThan(live.stats.commits);
    expect(paged.stats.checkpoint).toBe(through);
  });

  it("a crash inside a catch-up batch leaves the last catch-up commit, and a restart ends equal to a clean build", async () => {
    const schema = freshSchema("rm_catch_up_crash");
    const limits = { batchEvents: 10, catchUpBatchEvents: 60, pageSize: 16, ...NO_COMMITS_BY_AGE };
    await expect(project(schema, { limits, failAfterEvents: 150 })).rejects.toBeInstanceOf(
      InjectedProjectorFailure,
    );
    const key = { projection: "statements", partition: SINGLE_PARTITION };
    // Behind all along: commits at 60 and 120 applied events; the one at 150 rolled back.
    expect(await readCheckpoint(store.executor, schema, key)).toBe(2 * limits.catchUpBatchEvents);
    const restarted = await Projector.open(options(schema, { limits }));
    expect(restarted.stats.replayed).toBe(2 * limits.catchUpBatchEvents);
    expect(await restarted.catchUp()).toBe(events.length);
    expect(await dumpReadModel(store.executor, schema)).toEqual(clean);
  });

  it("following the log, commits a burst it fell behind on as soon as it reaches the end again", async () => {
    const local = await createPostgresEventStore({
      connectionString: POSTGRES_URL,
      schema: freshSchema("burst_log"),
    });
    try {
      const schema = freshSchema("rm_burst");
      const firstHalf = events.slice(0, 100);
      for (const event of firstHalf) await recordEvent(local, event, defaultValidator);
      // Neither the live batch nor any age bound can commit the burst: only reaching the end of the log can.
      const limits = { batchEvents: 1_000, catchUpBatchEvents: 1_000, pageSize: 16, pollIntervalMs: 20 };
      const running = await startProjector({
        ...options(schema),
        store: local,
        limits: { ...limits, ...NO_COMMITS_BY_AGE },
      });
      expect(await running.caughtUp).toBe(firstHalf.length);
      // One transaction: the projector sees the whole burst at once, in full pages.
      const burst = events.slice(firstHalf.length);
      expect(burst.length).toBeGreaterThan(2 * limits.pageSize);
      const outcomes = await local.appendMany(
        burst.map((event) => ({
          streamId: streamIdFor(event),
          events: [toAppend(event)],
          expectedRevision: NO_CONCURRENCY_CHECK,
        })),
      );
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      for (let i = 0; running.stats.checkpoint < events.length; i += 1) {
        if (i > 1_000) throw new Error("projector did not commit the burst");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await running.stop();
      expect(running.stats.applied).toBe(events.length);
      expect(await dumpReadModel(local.executor, schema)).toEqual(clean);
    } finally {
      await local.close();
    }
  });

  it("refuses a catch-up batch below one event", async () => {
    await expect(
      Projector.open(options(freshSchema("rm_bad_limits"), { limits: { catchUpBatchEvents: 0 } })),
    ).rejects.toBeInstanceOf(RangeError);
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
