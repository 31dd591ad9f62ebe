import { NO_CONCURRENCY_CHECK, type RecordedEvent } from "@icm/event-store";
import {
  readAllEvents,
  runEventStoreContract,
  seededRandom,
  testEvents,
  waitFor,
} from "@icm/event-store/contract";
import { describeWith, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import pg from "pg";
import { expect, it } from "vitest";
import { createPgDriver } from "./executor/pg.js";
import { createPostgresEventStore } from "./postgres.js";
import { quoteIdentifier } from "./schema/identifiers.js";
import { createSqlEventStore, type SqlEventStore } from "./store/sql-event-store.js";
import { delayedDriver } from "./testing/delayed-driver.js";
import { testClock } from "./testing/harness.js";
import { adminQuery, postgresHarness, terminateStoreBackends } from "./testing/postgres-harness.js";
import { expectBulkRoundTrip, expectStoredTextsVerify } from "./testing/scenarios.js";

await describeWith(["postgres"], "PostgreSQL event store", () => {
  runEventStoreContract("PostgreSQL", () => postgresHarness(POSTGRES_URL, uniqueTestName("es")));

  it.each([
    { snapshotGuard: false, rule: "append lock only (default)" },
    { snapshotGuard: true, rule: "append lock + xmin snapshot guard" },
  ])(
    "#15 concurrent writers from several pools with random in-transaction delays: a tailing reader misses nothing ($rule)",
    async ({ snapshotGuard }) => {
      const schema = uniqueTestName("race");
      const writerCount = 4;
      const appendsPerWriter = 12;
      const random = seededRandom(15);
      const reader = await createPostgresEventStore({
        connectionString: POSTGRES_URL,
        schema,
        clock: testClock,
        poolSize: 2,
        snapshotGuard,
      });
      const writers: SqlEventStore[] = [];
      try {
        for (let w = 0; w < writerCount; w += 1) {
          const driver = createPgDriver({
            connectionString: POSTGRES_URL,
            poolSize: 3,
            applicationName: `icm-event-store:${schema}`,
          });
          writers.push(
            await createSqlEventStore(
              delayedDriver(driver, () => Math.floor(random() * 25)),
              { schema, clock: testClock, snapshotGuard },
            ),
          );
        }
        const seen: RecordedEvent[] = [];
        const subscription = reader.subscribeToAll(
          { onEvent: (event) => void seen.push(event) },
          { pollIntervalMs: 5, pageSize: 7 },
        );
        await subscription.caughtUp;
        // Each writer runs three appends at a time (its pool is 3), on its own and shared streams.
        await Promise.all(
          writers.map(async (writer, w) => {
            const inFlight: Promise<unknown>[] = [];
            for (let a = 0; a < appendsPerWriter; a += 1) {
              const streamId = a % 3 === 0 ? "shared" : `writer-${w}`;
              inFlight.push(
                writer.append(streamId, testEvents(`w${w}-a${a}`, 1 + (a % 3)), NO_CONCURRENCY_CHECK),
              );
            }
            await Promise.all(inFlight);
          }),
        );
        const countRows = await reader.executor.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${quoteIdentifier(schema)}.events`,
        );
        const total = Number(countRows[0]?.n);
        expect(total).toBe(writerCount * appendsPerWriter * 2);
        await waitFor(() => seen.length >= total, `the tailing reader to see ${total} events`);
        await subscription.close();

        const table = await readAllEvents(reader);
        expect(seen.map((e) => e.globalPosition)).toEqual(table.map((e) => e.globalPosition));
        expect(new Set(seen.map((e) => e.eventId)).size).toBe(total);
        // Every stream's order is preserved and contiguous, and the one chain is intact.
        for (const streamId of ["shared", ...writers.map((_, w) => `writer-${w}`)]) {
          const positions = seen.filter((e) => e.streamId === streamId).map((e) => e.streamPosition);
          expect(positions).toEqual(positions.map((_, i) => i + 1));
        }
        expect(await reader.verifyChain()).toMatchObject({ ok: true, checked: total });
      } finally {
        for (const writer of writers) await writer.close();
        await reader.close();
        await adminQuery(POSTGRES_URL, `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      }
    },
  );

  it("a dropped connection fails the in-flight call only; the pool reconnects and the store carries on", async () => {
    const schema = uniqueTestName("drop");
    const store = await createPostgresEventStore({
      connectionString: POSTGRES_URL,
      schema,
      clock: testClock,
      poolSize: 2,
    });
    try {
      await store.append("s", testEvents("before", 2), NO_CONCURRENCY_CHECK);
      // Settled into a value at once, so the expected rejection is never "unhandled" while we wait.
      const slow = store.executor.query("SELECT pg_sleep(5)").then(
        () => undefined,
        (error: unknown) => error,
      );
      // Wait until the sleeping statement is really running before cutting it off.
      await waitFor(async () => {
        const rows = await adminQuery(
          POSTGRES_URL,
          "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%'",
          [`icm-event-store:${schema}`],
        );
        return (rows.rowCount ?? 0) > 0;
      }, "the sleeping statement");
      expect(await terminateStoreBackends(POSTGRES_URL, schema)).toBeGreaterThan(0);
      expect(await slow).toBeInstanceOf(Error);
      const result = await store.append("s", testEvents("after", 1), 2);
      expect(result.nextExpectedRevision).toBe(3);
      expect((await store.readStream("s")).events.map((e) => e.eventId)).toEqual([
        "before-1",
        "before-2",
        "after-1",
      ]);
    } finally {
      await store.close();
      await adminQuery(POSTGRES_URL, `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    }
  });

  it("events carry the texts they were read from; the chain is checked over them, another form of the same content still verifies", async () => {
    const schema = uniqueTestName("texts");
    const harness = await postgresHarness(POSTGRES_URL, schema);
    try {
      await expectStoredTextsVerify(harness.store, async (globalPosition, text) => {
        await adminQuery(
          POSTGRES_URL,
          `UPDATE ${quoteIdentifier(schema)}.${quoteIdentifier("events")} SET data = $2 WHERE global_position = $1::bigint`,
          [String(globalPosition), text],
        );
      });
    } finally {
      await harness.cleanup();
    }
  });

  it("round-trips 10,000 events appended in full batches (one multi-row INSERT per 1,000 rows)", async () => {
    const harness = await postgresHarness(POSTGRES_URL, uniqueTestName("bulk"));
    try {
      await expectBulkRoundTrip(harness.store, 10_000);
    } finally {
      await harness.cleanup();
    }
  });

  it("LISTEN/NOTIFY wakes a subscriber at once when another process appends, also after its connection drops", async () => {
    const schema = uniqueTestName("notify");
    const reader = await createPostgresEventStore({
      connectionString: POSTGRES_URL,
      schema,
      clock: testClock,
      poolSize: 2,
    });
    const writer = await createPostgresEventStore({
      connectionString: POSTGRES_URL,
      schema,
      clock: testClock,
      poolSize: 2,
    });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const seen: string[] = [];
      // The poll interval is the longest allowed: only a notification can deliver within the wait below.
      const subscription = reader.subscribeToAll(
        { onEvent: (event) => void seen.push(event.eventId) },
        { pollIntervalMs: 60_000 },
      );
      await subscription.caughtUp;
      const listening = async () => {
        const rows = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
          [`icm-event-store:${schema}`],
        );
        return (rows.rowCount ?? 0) > 0;
      };
      await waitFor(listening, "the commit listener");
      await writer.append("s", testEvents("n", 2), NO_CONCURRENCY_CHECK);
      await waitFor(() => seen.length === 2, "the notified subscriber to see 2 events", 5_000);

      await terminateStoreBackends(POSTGRES_URL, schema);
      await waitFor(listening, "the commit listener to reconnect");
      await writer.append("s", testEvents("m", 1), 2);
      await waitFor(() => seen.length === 3, "the subscriber to see the append made after the drop", 5_000);
      expect(seen).toEqual(["n-1", "n-2", "m-1"]);
      await subscription.close();
    } finally {
      await admin.end();
      await writer.close();
      await reader.close();
      await adminQuery(POSTGRES_URL, `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    }
  });

  it("migrate() is idempotent and safe when several stores create the same schema at once", async () => {
    const schema = uniqueTestName("mig");
    const stores = await Promise.all(
      [1, 2, 3].map(() =>
        createPostgresEventStore({ connectionString: POSTGRES_URL, schema, clock: testClock, poolSize: 1 }),
      ),
    );
    try {
      await (stores[0] as SqlEventStore).append("s", testEvents("m", 1), NO_CONCURRENCY_CHECK);
      await Promise.all(stores.map((s) => s.migrate()));
      expect((await (stores[2] as SqlEventStore).readStream("s")).currentRevision).toBe(1);
    } finally {
      for (const store of stores) await store.close();
      await adminQuery(POSTGRES_URL, `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    }
  });
});
