import type { EventStore } from "@icm/event-store";
import { createPostgresEventStore, type SqlEventStore } from "@icm/event-store-sql";
import {
  createDeadLetterStore,
  createEmbeddedPipeline,
  deleteStreams,
  engineStatementModel,
  ensureStreams,
  readStatementSummaries,
  sampleHistory,
  startProjector,
  startRecorder,
  testTopology,
} from "@icm/pipeline";
import { describeWith, NATS_URL, POSTGRES_URL, uniqueTestName } from "@icm/testing";
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishInputs } from "./publish.js";
import { mixInputs, waitFor } from "./support.js";

const logger = pino({ level: "error" });

/** The event ids of a log, in log order. */
async function logEventIds(store: EventStore): Promise<string[]> {
  const ids: string[] = [];
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, limit: 5_000 });
    ids.push(...page.events.map((e) => e.eventId));
    after = page.checkpoint;
    if (page.isEnd) return ids;
  }
}

await describeWith(
  ["nats", "postgres"],
  "pipeline end to end: NATS → recorder → PostgreSQL → projector",
  () => {
    let nc: NatsConnection;
    let store: SqlEventStore;
    const topology = testTopology("e2e");
    const schema = uniqueTestName("e2e_log");

    beforeAll(async () => {
      // Rides out the NATS restart that the crash suite may do while this one runs.
      nc = await connect({ servers: NATS_URL, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      await ensureStreams(await nc.jetstreamManager(), topology);
      store = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    });
    afterAll(async () => {
      await deleteStreams(await nc.jetstreamManager(), topology);
      await store.executor.query(`drop schema if exists "${schema}" cascade`);
      await store.close();
      await nc.close();
    });

    it("10,000 events with 5% duplicates and 2% invalid: each valid one recorded once, each invalid one dead-lettered with its reason, digests equal to the embedded path", async () => {
      // 163 + 8,786 deals + 351 cancellations = 9,300 valid events; with 500 re-sends and 200 broken ones, 10,000.
      const valid = sampleHistory({ reps: 40, deals: 8_786, cancelEvery: 25, seed: 42 });
      const inputs = mixInputs(valid, topology.subjectPrefix, 0.05, 0.02, 42);
      expect(valid.length).toBe(9_300);
      expect(inputs.length).toBe(10_000);
      const invalid = inputs.filter((i) => i.kind === "invalid");
      const duplicates = inputs.filter((i) => i.kind === "duplicate");
      expect([invalid.length, duplicates.length]).toEqual([200, 500]);

      let started = performance.now();
      await publishInputs(nc.jetstream(), inputs);
      const jsm = await nc.jetstreamManager();
      const deadLetters = createDeadLetterStore(nc.jetstream(), jsm, topology);
      const recorder = await startRecorder({ nc, topology, store, deadLetters, logger });
      const projector = await startProjector({
        store,
        sql: store.executor,
        schema,
        model: engineStatementModel,
        logger,
      });
      // Counts are "at least" for what may be delivered again (the crash suite restarts NATS, maybe right now);
      // the exact truth is checked below, in the store and in the dead-letter stream.
      await waitFor(
        "the recorder",
        async () => {
          if (recorder.stats.recorded < 9_300 || recorder.stats.deadLettered < 200) return false;
          const info = await jsm.consumers.info(topology.streamName, "icm-recorder");
          return info.num_pending === 0 && info.num_ack_pending === 0;
        },
        400_000,
      );
      expect(recorder.stats.recorded).toBe(9_300);
      expect(recorder.stats.duplicates).toBeGreaterThanOrEqual(500);
      expect(recorder.stats.deadLettered).toBeGreaterThanOrEqual(200);
      const head = await store.head();
      expect(head.globalPosition).toBeGreaterThanOrEqual(9_300);
      await waitFor("the projector", () => projector.stats.checkpoint === head.globalPosition, 240_000);
      await projector.stop();
      await recorder.stop();
      process.stderr.write(
        `[e2e] NATS path: 10,000 inputs published, recorded and projected in ${Math.round(performance.now() - started)} ms (recorder: ${recorder.stats.redeliveries} redeliveries)\n`,
      );
      // The embedded path gets the very same inputs, in publication order.
      started = performance.now();
      const embedded = await createEmbeddedPipeline();
      try {
        const parsedInputs = inputs.map((i) => JSON.parse(i.body) as unknown);
        let embeddedInvalid = 0;
        for (let start = 0; start < parsedInputs.length; start += 1_000) {
          embeddedInvalid += (await embedded.ingest(parsedInputs.slice(start, start + 1_000))).invalid.length;
        }
        expect(embeddedInvalid).toBe(200);
        process.stderr.write(
          `[e2e] embedded path: 10,000 inputs in ${Math.round(performance.now() - started)} ms\n`,
        );

        // Every valid event exactly once.
        const recorded = await logEventIds(store);
        expect(recorded.length).toBe(9_300);
        expect(new Set(recorded)).toEqual(new Set(valid.map((e) => e.eventId)));
        expect((await store.verifyChain()).ok).toBe(true);
        // In stream order: the same log as the embedded path's (publication order, each event where it first
        // occurs). The digests below catch a reorder only when it crosses an order-sensitive pair (a deal's
        // cancellation recorded before its close); this catches every one.
        const embeddedLog = await logEventIds(embedded.store);
        const firstDifference = recorded.findIndex((eventId, i) => eventId !== embeddedLog[i]);
        expect(
          firstDifference,
          `log position ${firstDifference + 1}: ${recorded[firstDifference]} via NATS, ${embeddedLog[firstDifference]} embedded (recorder: ${JSON.stringify(recorder.stats)})`,
        ).toBe(-1);

        // Every invalid one in dead letters, verbatim, with the reason and the field.
        const letters = await deadLetters.list({ limit: 10_000, source: "recorder" });
        expect(letters.length).toBe(200);
        const byEventId = new Map(letters.map((l) => [l.record.eventId, l.record]));
        for (const input of invalid) {
          const letter = byEventId.get(input.eventId);
          expect(letter?.original).toBe(input.body);
          expect(letter?.reason).toBe("event failed validation");
          expect(letter?.issues?.map((i) => i.path)).toContain(input.expectedPath);
        }

        // Same statements, byte for byte, as the embedded (PGlite, no NATS) path.
        const viaNats = await readStatementSummaries(store.executor, schema);
        const viaEmbedded = await embedded.statementSummaries();
        expect(viaNats.length).toBeGreaterThan(40);
        expect(viaNats).toEqual(viaEmbedded);
      } finally {
        await embedded.close();
      }
    }, 600_000);
  },
);
