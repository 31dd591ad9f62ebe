import type { EventStore } from "@icm/event-store";
import type { SqlEventStore } from "@icm/event-store-sql";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closedHistory } from "../audit-replay/audit-scenarios.js";
import { deal, section8History, unknownRepDeal } from "../testing/history.js";
import { SharedPglite } from "../testing/pglite.js";
import { editStoredEvent, positionOfEvent } from "../testing/tamper.js";
import { IcmWorkspace } from "./workspace.js";

// The close's snapshot loop and its cost (every statement once), and verify's single read of the log.

const db = new SharedPglite();
let store: SqlEventStore;
beforeAll(() => db.start());
afterAll(() => db.stop());
beforeEach(async () => {
  store = await db.store();
});
afterEach(async () => {
  await store.close();
});

/** Counts the engine's per-rep statement computations (statements() and periodExceptions() go through it). */
function countStatements(ws: IcmWorkspace): { count: () => number } {
  const engine = ws.engineView;
  const statement = engine.statement.bind(engine);
  let n = 0;
  engine.statement = (repId, period, options) => {
    n += 1;
    return statement(repId, period, options);
  };
  return { count: () => n };
}

/** The store with `head()` replaced (the rest delegates): to make the log look like it keeps moving. */
function withHead(inner: EventStore, head: EventStore["head"]): EventStore {
  return new Proxy(inner, {
    get: (target, key, receiver) => (key === "head" ? head : (Reflect.get(target, key, receiver) as unknown)),
  });
}

describe("close", () => {
  it("computes every statement of the period once, and records what the engine's close manifest says", async () => {
    const ws = await IcmWorkspace.open({ store });
    await ws.record([...section8History(), unknownRepDeal()]);
    const manifest = ws.engineView.closeManifest("2026-Q1");
    const reps = ws.engineView.facts.repIds().length;
    const counter = countStatements(ws);
    const result = await ws.close("2026-Q1", { actor: "fin@example.com", override: { reason: "ghost" } });
    expect(counter.count()).toBe(reps);
    expect(result.close.statements).toEqual(manifest.statements);
    expect(result.close.planVersions).toEqual(
      manifest.planVersions.map(({ planId, version }) => ({ planId, version })),
    );
    expect(result.close.throughPosition).toBe(manifest.throughPosition);
    expect(result.close.override?.exceptions.some((k) => k.startsWith("unknown_rep:ghost:"))).toBe(true);
  });

  it("right after a preview, closes from the preview's digests without computing a statement", async () => {
    const ws = await IcmWorkspace.open({ store });
    await ws.record([...section8History(), unknownRepDeal()]);
    const preview = ws.preview("2026-Q1");
    const manifest = ws.engineView.closeManifest("2026-Q1");
    const counter = countStatements(ws);
    const result = await ws.close("2026-Q1", { actor: "fin@example.com", override: { reason: "ghost" } });
    expect(counter.count()).toBe(0);
    expect(result.close.statements).toEqual(manifest.statements);
    expect(result.close.statements.map((l) => l.digest)).toEqual(preview.statements.map((l) => l.digest));
    expect(result.close.override?.exceptions).toHaveLength(preview.exceptions.length);
  });

  it("a preview taken before more events were recorded is not reused: the close computes afresh, once", async () => {
    const ws = await IcmWorkspace.open({ store });
    await ws.record(section8History());
    const stale = ws.preview("2026-Q1");
    await ws.record([deal("D9", "40000.00", "2026-03-30")]);
    const manifest = ws.engineView.closeManifest("2026-Q1");
    const counter = countStatements(ws);
    const result = await ws.close("2026-Q1", { actor: "fin@example.com" });
    expect(counter.count()).toBe(ws.engineView.facts.repIds().length);
    expect(result.close.statements).toEqual(manifest.statements);
    expect(result.close.statements).not.toEqual(stale.statements.map(({ exceptions: _, ...l }) => l));
  });

  it("a refused close computes the statements once too", async () => {
    const ws = await IcmWorkspace.open({ store });
    await ws.record([...section8History(), unknownRepDeal()]);
    const counter = countStatements(ws);
    await expect(ws.close("2026-Q1", { actor: "fin@example.com" })).rejects.toThrow(/open exception/);
    expect(counter.count()).toBe(ws.engineView.facts.repIds().length);
  });

  it("follows a writer that appends between its catch-up and the head, and closes at that head", async () => {
    const ws = await IcmWorkspace.open({ store });
    await ws.record(section8History());
    const writer = await IcmWorkspace.open({ store });
    let appended = false;
    const moving = await IcmWorkspace.open({
      store: withHead(store, async () => {
        if (!appended) {
          appended = true;
          await writer.record([deal("D9", "1000.00", "2026-03-30")]);
        }
        return store.head();
      }),
    });
    const result = await moving.close("2026-Q1", { actor: "fin@example.com" });
    expect(appended).toBe(true);
    expect(result.close.throughPosition).toBe(15);
    expect(result.close.chainHead).toBe((await positionHash(store, 15)) ?? "");
    expect((await ws.refresh()) > 15).toBe(true);
  });

  it("stops with a clear error, computing nothing, when the head never matches what it applied", async () => {
    await (await IcmWorkspace.open({ store })).record(section8History());
    // A head the reads never reach (e.g. a store whose head counts something its reads do not deliver).
    const ws = await IcmWorkspace.open({
      store: withHead(store, async () => ({ ...(await store.head()), globalPosition: 99 })),
    });
    const counter = countStatements(ws);
    await expect(ws.close("2026-Q1", { actor: "fin@example.com" })).rejects.toThrow(
      "could not take a consistent snapshot to close 2026-Q1 in 10 attempts: the store's head is at 99, the workspace applied 14",
    );
    expect(counter.count()).toBe(0);
    expect((await store.head()).globalPosition).toBe(14);
  });

  it("returns the other writer's close when it lands between the snapshot and the append, without recomputing", async () => {
    await (await IcmWorkspace.open({ store })).record(section8History());
    const other = await IcmWorkspace.open({ store });
    let raced = false;
    const append = store.append.bind(store);
    const racing = new Proxy(store, {
      get: (target, key, receiver) =>
        key === "append"
          ? async (...args: Parameters<EventStore["append"]>) => {
              if (!raced) {
                raced = true;
                await other.close("2026-Q1", { actor: "other@example.com" });
              }
              return append(...args);
            }
          : (Reflect.get(target, key, receiver) as unknown),
    });
    const wsRacing = await IcmWorkspace.open({ store: racing });
    const racingCounter = countStatements(wsRacing);
    const result = await wsRacing.close("2026-Q1", { actor: "fin@example.com" });
    expect(raced).toBe(true);
    expect(result.alreadyClosed).toBe(true);
    expect(result.close.closedBy).toBe("other@example.com");
    // Its own snapshot was computed once; after the collision it read the other close back, no second pass.
    expect(racingCounter.count()).toBe(wsRacing.engineView.facts.repIds().length);
  });
});

describe("verify", () => {
  it("an edit after the close's position breaks the chain: named, though every statement reproduces", async () => {
    const ws = await closedHistory(store);
    const position = await positionOfEvent(store, "deal-D6");
    expect(position).toBeGreaterThan(ws.closeOf("2026-Q1")?.close.throughPosition ?? Infinity);
    await editStoredEvent(store, position, (data) => ({ ...data, amount: "1.00" }));
    const report = await ws.verify("2026-Q1");
    expect(report.status).toBe("diverged");
    expect(report.brokenAt).toBe(position);
    expect(report.divergence).toBeUndefined();
    expect(report.findings).toEqual([
      {
        check: "chain",
        position,
        detail: expect.stringContaining(
          `the stored log fails the hash chain at position ${position} (hash_mismatch)`,
        ),
      },
    ]);
    expect(report.merkleRoot.recomputed).toBe(report.merkleRoot.recorded);
  });

  it("an unedited log reproduces, replaying only through the close", async () => {
    const ws = await closedHistory(store);
    const close = ws.closeOf("2026-Q1")?.close;
    const report = await ws.verify("2026-Q1");
    expect(report.status).toBe("reproduced");
    expect(report.eventsReplayed).toBe(close?.throughPosition);
  });
});

async function positionHash(s: SqlEventStore, position: number): Promise<string | undefined> {
  const page = await s.readAll({ after: position - 1, limit: 1 });
  return page.events[0]?.hash;
}
