import { decodeProof, encodeProof, verifyInclusion } from "@icm/audit";
import type { SqlEventStore } from "@icm/event-store-sql";
import { canonicalJson } from "@icm/events";
import { expect } from "vitest";
import { deal, ev, section8History } from "../testing/history.js";
import { editStoredEvent, positionOfEvent, rewriteStoredDataText } from "../testing/tamper.js";
import { IcmWorkspace, processHeapGrowth, READ_PAGE_SIZE, verifyStoredClose } from "../workspace/index.js";
import { CloseReplay, LateFactsMissedError, replayClose } from "./replay.js";

// The audit scenarios, written once and run on PGlite and on PostgreSQL.

/** Two closed quarters with a late deal and a cancellation between them. */
export async function closedHistory(store: SqlEventStore): Promise<IcmWorkspace> {
  const ws = await IcmWorkspace.open({ store });
  await ws.record(section8History("recompute"));
  await ws.close("2026-Q1", { actor: "fin@example.com" });
  await ws.record([
    deal("D4", "10000.00", "2026-03-28"),
    ev("DealCancelled", "cancel-D2", {
      dealId: "D2",
      cancelDate: "2026-04-20",
      reason: "customer backed out",
    }),
    deal("D6", "40000.00", "2026-05-05"),
  ]);
  await ws.close("2026-Q2", { actor: "fin@example.com" });
  return ws;
}

export async function verifyReproduces(store: SqlEventStore): Promise<void> {
  const ws = await closedHistory(store);
  for (const period of ["2026-Q1", "2026-Q2"]) {
    const report = await ws.verify(period);
    expect(report.findings).toEqual([]);
    expect(report.status).toBe("reproduced");
    expect(report.statementsChecked).toBe(2);
    expect(report.merkleRoot.recomputed).toBe(report.merkleRoot.recorded);
    expect(report.chainHead.found).toBe(report.chainHead.recorded);
  }
  // A fresh workspace on the same store (another process) reproduces too.
  const fresh = await IcmWorkspace.open({ store });
  expect((await fresh.verify("2026-Q1")).status).toBe("reproduced");
  // And so does the store on its own, with no workspace opened (an auditor's `icm verify`): the same report.
  for (const period of ["2026-Q1", "2026-Q2"])
    expect(await IcmWorkspace.verifyStored(store, period)).toEqual(await ws.verify(period));
  await expect(IcmWorkspace.verifyStored(store, "2026-Q3")).rejects.toThrow("period 2026-Q3 is not closed");
}

/**
 * A log longer than one page: verify reads it page by page (its held-back events across pages), reproduces,
 * and its read is a bulk read for the heap's growth (heap-growth.ts); opening a workspace is not.
 */
export async function longLogVerifyIsABulkRead(store: SqlEventStore): Promise<void> {
  const ws = await closedHistory(store);
  const later = Array.from({ length: READ_PAGE_SIZE + 1 }, (_, i) => deal(`L${i}`, "100.00", "2026-08-03"));
  await ws.record(later);
  const before = processHeapGrowth.bulkReads;
  const report = await IcmWorkspace.verifyStored(store, "2026-Q1");
  expect(report.findings).toEqual([]);
  expect(report.status).toBe("reproduced");
  expect(processHeapGrowth.bulkReads).toBe(before + 1);
  await IcmWorkspace.open({ store });
  expect(processHeapGrowth.bulkReads).toBe(before + 1);
}

export async function tamperIsNamed(store: SqlEventStore): Promise<void> {
  const ws = await closedHistory(store);
  const position = await positionOfEvent(store, "deal-D2");
  await editStoredEvent(store, position, (data) => ({ ...data, amount: "7000.00" }));
  const report = await ws.verify("2026-Q1");
  expect(report.status).toBe("diverged");
  expect(report.brokenAt).toBe(position);
  expect(report.findings.find((f) => f.check === "chain")?.position).toBe(position);
  expect(report.divergence?.repId).toBe("ana");
  // The workspace still holds the trusted statement, so the first differing line is named.
  expect(report.divergence?.line).toContain("D2");
  expect(report.divergence?.expected).toBe("8500.00");
  const later = await ws.verify("2026-Q2");
  expect(later.status).toBe("diverged");
  // From the store alone the same checks fail at the same places; with no statement loaded before the edit,
  // the rep's statement is named by its payable instead of its first differing line.
  const stored = await IcmWorkspace.verifyStored(store, "2026-Q1");
  expect(stored.status).toBe("diverged");
  expect(stored.brokenAt).toBe(position);
  expect(stored.findings.map((f) => [f.check, f.position])).toEqual(
    report.findings.map((f) => [f.check, f.position]),
  );
  expect(stored.divergence?.repId).toBe("ana");
  expect(stored.divergence?.line).toBe("payable");
}

/**
 * The chain is checked over the stored texts when they match, and by re-encoding the parsed content when
 * they do not: a stored event rewritten in another JSON form of the same content (keys reordered, spaces)
 * still reproduces, from the workspace and from the store alone.
 */
export async function reformattedEventReproduces(store: SqlEventStore): Promise<void> {
  const ws = await closedHistory(store);
  const position = await positionOfEvent(store, "deal-D2");
  const { events } = await store.readAll({ after: position - 1, limit: 1 });
  const stored = events[0];
  if (stored === undefined) throw new Error(`no event at ${position}`);
  const keys = Object.keys(stored.data).reverse();
  const reformatted = `{ ${keys.map((k) => `${JSON.stringify(k)} : ${JSON.stringify(stored.data[k])}`).join(" ,\n ")} }`;
  expect(reformatted).not.toBe(canonicalJson(stored.data));
  await rewriteStoredDataText(store, position, reformatted);
  expect(JSON.parse(reformatted)).toEqual(stored.data);
  expect((await ws.verify("2026-Q1")).status).toBe("reproduced");
  expect((await IcmWorkspace.verifyStored(store, "2026-Q1")).status).toBe("reproduced");
  expect(await store.verifyChain()).toMatchObject({ ok: true });
}

/**
 * A stored event edited into one that fails validation: verify names it (and the chain break), and the
 * store's pages, validated a page at a time, give exactly the report of pushing the events one by one.
 */
export async function invalidEventIsNamed(store: SqlEventStore): Promise<void> {
  const ws = await closedHistory(store);
  const position = await positionOfEvent(store, "deal-D2");
  await editStoredEvent(store, position, (data) => ({ ...data, amount: "-5.00" }));
  const report = await ws.verify("2026-Q1");
  expect(report.status).toBe("diverged");
  expect(report.findings.find((f) => f.check === "chain")?.position).toBe(position);
  const unreplayable = report.findings.find((f) => f.check === "event");
  expect(unreplayable?.position).toBe(position);
  expect(unreplayable?.detail).toContain("deal-D2 cannot be replayed: data.amount");

  const close = ws.closeOf("2026-Q1");
  if (close === undefined) throw new Error("Q1 is closed above");
  const input = { close: close.close, closeEventId: close.eventId, closePosition: close.position };
  const { events } = await store.readAll({ after: 0, limit: 1_000 });
  const oneByOne = replayClose({ ...input, events });
  const paged = new CloseReplay(input);
  // Pages that split the log at the edited event and around it.
  for (const [from, to] of [
    [0, position - 1],
    [position - 1, position + 1],
    [position + 1, events.length],
  ])
    paged.pushPage(events.slice(from, to).filter((e) => e.globalPosition <= close.close.throughPosition));
  expect(paged.finish()).toEqual(oneByOne);
  // The workspace's verify also names the first differing line (it holds the trusted statements).
  const where = (r: typeof report) => r.findings.map((f) => [f.check, f.position]);
  expect(where(oneByOne)).toEqual(where(report));
  // In log order: the edited event's broken link, then why it cannot be replayed.
  expect(where(report).slice(0, 2)).toEqual([
    ["chain", position],
    ["event", position],
  ]);
}

export async function proofChecksOffline(store: SqlEventStore): Promise<void> {
  const ws = await closedHistory(store);
  const close = ws.closeOf("2026-Q1");
  const proof = ws.proof("2026-Q1", "ana");
  const wire = encodeProof(proof);
  // Offline: only the proof text and the published root.
  const received = decodeProof(wire);
  expect(verifyInclusion(received)).toBe(true);
  expect(received.root).toBe(close?.close.merkleRoot);
  expect(received.digest).toBe(close?.close.statements.find((s) => s.repId === "ana")?.digest);
  expect(verifyInclusion({ ...received, digest: "0".repeat(64) })).toBe(false);
  // From the store alone (the `icm proof` command): the same proof, the same refusals.
  expect(await IcmWorkspace.proofStored(store, "2026-Q1", "ana")).toEqual(proof);
  await expect(IcmWorkspace.proofStored(store, "2026-Q1", "nobody")).rejects.toThrow(
    "the close of 2026-Q1 has no statement for nobody",
  );
  await expect(IcmWorkspace.proofStored(store, "2027-Q1", "ana")).rejects.toThrow(
    "period 2027-Q1 is not closed",
  );
}

/**
 * Another writer appends a deal dated in Q1 while Q1's close is being recorded: the close was computed
 * through the position before that deal, so the deal is a late fact of Q1 that Q2's statement explains its
 * prior-period adjustment with. Verify holds events back, so it still records that deal's touches; with no
 * lookahead at all it reads the log a second time, recording every event's touches; both reproduce.
 */
export async function closeAfterConcurrentWriteReproduces(store: SqlEventStore): Promise<void> {
  const other = await IcmWorkspace.open({ store });
  let written = false;
  // The store as the closing workspace sees it: the other writer's append lands just before the close's.
  const racing = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== "append" || typeof value !== "function")
        return typeof value === "function" ? value.bind(target) : value;
      return async (...args: Parameters<SqlEventStore["append"]>) => {
        if (args[0] === "close-2026-Q1" && !written) {
          written = true;
          await other.record([deal("D9", "25000.00", "2026-03-25")]);
        }
        return target.append(...args);
      };
    },
  });
  const ws = await IcmWorkspace.open({ store: racing });
  await ws.record(section8History("recompute"));
  await ws.close("2026-Q1", { actor: "fin@example.com" });
  await ws.record([deal("D6", "40000.00", "2026-05-05")]);
  await ws.close("2026-Q2", { actor: "fin@example.com" });
  const q1 = ws.closeOf("2026-Q1");
  const q2 = ws.closeOf("2026-Q2");
  if (q1 === undefined || q2 === undefined) throw new Error("both quarters are closed above");
  const d9 = await positionOfEvent(store, "deal-D9");
  // The gap this is about: the deal sits between Q1's throughPosition and Q1's close.
  expect([q1.close.throughPosition < d9, d9 < q1.position]).toEqual([true, true]);
  const ppa = ws.statement("ana", "2026-Q2").entries.filter((e) => e.kind === "prior_period_adjustment");
  expect(ppa.some((e) => e.trace.sourceEventIds.includes("deal-D9"))).toBe(true);

  const report = await IcmWorkspace.verifyStored(store, "2026-Q2");
  expect(report.findings).toEqual([]);
  expect(report.status).toBe("reproduced");
  // No lookahead: the replay meets Q1's close after applying the deal, so it reads the log again.
  expect(
    await verifyStoredClose(
      store,
      { eventId: q2.eventId, position: q2.position, data: q2.close },
      { lookaheadEvents: 0 },
    ),
  ).toEqual(report);
  const input = { close: q2.close, closeEventId: q2.eventId, closePosition: q2.position };
  const { events } = await store.readAll({ after: 0, limit: 1_000 });
  expect(replayClose({ ...input, events, lookaheadEvents: 0 })).toEqual(report);
  expect(replayClose({ ...input, events, everyLateFact: true })).toEqual(report);
  // Told as soon as it meets Q1's close, not after replaying the rest of the log.
  const once = new CloseReplay({ ...input, lookaheadEvents: 0 });
  expect(() => once.pushPage(events.filter((e) => e.globalPosition <= q2.close.throughPosition))).toThrow(
    LateFactsMissedError,
  );
  // One event of lookahead is enough here: the deal is the only event in the gap.
  const held = new CloseReplay({ ...input, lookaheadEvents: 1 });
  held.pushPage(events.filter((e) => e.globalPosition <= q2.close.throughPosition));
  expect(held.finish()).toEqual(report);
}
