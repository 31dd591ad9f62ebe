import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, statementDigest } from "@icm/engine";
import { type DomainEvent, parseEventOrThrow } from "@icm/events";
import { describe, expect, it } from "vitest";
import { createEmbeddedPipeline } from "./embedded.js";
import { sampleHistory } from "./sample-history.js";

/** What the statements must be: the engine fed directly, positions 1..n in ingest order. */
function expectedDigests(events: readonly DomainEvent[]): Map<string, string> {
  const engine = new Engine();
  const keys = new Set<string>();
  events.forEach((event, index) => {
    const recorded = { globalPosition: index + 1, event: parseEventOrThrow(event) };
    engine.apply(recorded);
    for (const { repId, period } of engine.affected(recorded)) keys.add(`${repId}|${period}`);
  });
  const out = new Map<string, string>();
  for (const key of [...keys].sort()) {
    const [repId, period] = key.split("|") as [string, string];
    out.set(key, statementDigest(engine.statement(repId, period)));
  }
  return out;
}

describe("embedded pipeline (PGlite, no NATS)", () => {
  it("validates, records once, projects, and gives the engine's own statement digests", async () => {
    const events = sampleHistory({ reps: 4, deals: 60, cancelEvery: 9 });
    const invalid = [
      { eventId: "broken-1", type: "DealClosed", schemaVersion: 2, data: { dealId: "D-x" } },
      "not an event",
    ];
    const pipeline = await createEmbeddedPipeline();
    try {
      const first = await pipeline.ingest([
        ...events.slice(0, 30),
        invalid[0],
        ...events.slice(30),
        invalid[1],
        ...events.slice(0, 5),
      ]);
      expect(first).toMatchObject({ recorded: events.length, duplicates: 5, checkpoint: events.length });
      expect(first.invalid.map((i) => [i.index, i.eventId, i.reason])).toEqual([
        [30, "broken-1", "event failed validation"],
        [events.length + 1, undefined, "event failed validation"],
      ]);
      expect(first.invalid[0]?.issues).toContainEqual(expect.objectContaining({ path: "data.amount" }));
      expect(pipeline.deadLetters().map((l) => [l.source, l.original])).toEqual([
        ["ingest", JSON.stringify(invalid[0])],
        ["ingest", JSON.stringify(invalid[1])],
      ]);
      const summaries = await pipeline.statementSummaries();
      const expected = expectedDigests(events);
      expect(summaries.length).toBeGreaterThan(4);
      expect(new Map(summaries.map((s) => [`${s.repId}|${s.period}`, s.digest]))).toEqual(expected);
      // A re-sent batch changes nothing.
      const again = await pipeline.ingest(events);
      expect(again).toMatchObject({
        recorded: 0,
        duplicates: events.length,
        invalid: [],
        checkpoint: events.length,
      });
      expect(await pipeline.statementSummaries()).toEqual(summaries);
      expect((await pipeline.store.verifyChain()).ok).toBe(true);
    } finally {
      await pipeline.close();
    }
  });

  it("survives a restart on a data directory: the projection resumes from its checkpoint", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "icm-embedded-"));
    try {
      const events = sampleHistory({ reps: 3, deals: 40, seed: 7 });
      const first = await createEmbeddedPipeline({ dataDir });
      await first.ingest(events.slice(0, 25));
      const before = await first.statementSummaries();
      await first.close();
      const second = await createEmbeddedPipeline({ dataDir });
      try {
        expect(await second.statementSummaries()).toEqual(before);
        const rest = await second.ingest(events.slice(25));
        expect(rest).toMatchObject({ recorded: events.length - 25, checkpoint: events.length });
        const after = await second.statementSummaries();
        expect(new Map(after.map((s) => [`${s.repId}|${s.period}`, s.digest]))).toEqual(
          expectedDigests(events),
        );
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
