import type { EventStore } from "@icm/event-store";
import { Decimal } from "@icm/events";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deal, ev, section8History, unknownRepDeal } from "../testing/history.js";
import { SharedPglite } from "../testing/pglite.js";
import { CloseRefusedError, IcmWorkspace } from "../workspace/index.js";

// Payout runs on the embedded store (PGlite): preview, close (refused / override / twice), payroll export.

let store: EventStore;
let ws: IcmWorkspace;

const db = new SharedPglite();
beforeAll(() => db.start());
afterAll(() => db.stop());
beforeEach(async () => {
  store = await db.store();
  ws = await IcmWorkspace.open({ store });
});
afterEach(async () => {
  await store.close();
});

describe("preview", () => {
  it("lists every statement with its payable and digest, totals per currency, and no exceptions", async () => {
    await ws.record(section8History());
    const run = ws.preview("2026-Q1");
    expect(run.statements.map((s) => [s.repId, s.currency, s.payable])).toEqual([
      ["ana", "USD", "23500.00"],
      ["ben", "USD", "3333.33"],
    ]);
    expect(run.statements.every((s) => /^[0-9a-f]{64}$/.test(s.digest))).toBe(true);
    expect(run.totals).toEqual([{ currency: "USD", payable: "26833.33", reps: 2 }]);
    expect(run.exceptions).toEqual([]);
    expect(run.canClose).toBe(true);
    expect(run.closed).toBeUndefined();
  });

  it("shows an open exception affecting the period and cannot close", async () => {
    await ws.record([...section8History(), unknownRepDeal()]);
    const run = ws.preview("2026-Q1");
    expect(run.exceptions.map((x) => x.code)).toContain("unknown_rep");
    expect(run.canClose).toBe(false);
  });
});

describe("close", () => {
  it("is refused while exceptions are open, naming them", async () => {
    await ws.record([...section8History(), unknownRepDeal()]);
    const refused = await ws.close("2026-Q1", { actor: "fin@example.com" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CloseRefusedError);
    expect((refused as CloseRefusedError).exceptions.map((x) => x.code)).toContain("unknown_rep");
    expect(ws.closeOf("2026-Q1")).toBeUndefined();
  });

  it("is accepted with an override and records the reason and the overridden exceptions", async () => {
    await ws.record([...section8History(), unknownRepDeal()]);
    const result = await ws.close("2026-Q1", {
      actor: "fin@example.com",
      override: { reason: "ghost rep is a CRM test record" },
    });
    expect(result.alreadyClosed).toBe(false);
    expect(result.close.override?.reason).toBe("ghost rep is a CRM test record");
    expect(result.close.override?.exceptions.some((k) => k.startsWith("unknown_rep:"))).toBe(true);
    expect(result.close.closedBy).toBe("fin@example.com");
  });

  it("records position, chain head, plan versions, engine version, digests and Merkle root", async () => {
    await ws.record(section8History());
    const before = ws.preview("2026-Q1");
    const head = await store.head();
    const result = await ws.close("2026-Q1", { actor: "fin@example.com", at: "2026-04-05T09:00:00Z" });
    expect(result.close.throughPosition).toBe(head.globalPosition);
    expect(result.close.chainHead).toBe(head.hash);
    expect(result.close.planVersions).toEqual([{ planId: "p8", version: 1 }]);
    expect(result.close.engineVersion).toMatch(/^icm-engine\//);
    expect(result.close.closedAt).toBe("2026-04-05T09:00:00Z");
    expect(result.close.statements).toEqual(
      before.statements.map((s) => ({
        repId: s.repId,
        currency: s.currency,
        payable: s.payable,
        digest: s.digest,
      })),
    );
    expect(result.close.merkleRoot).toMatch(/^[0-9a-f]{64}$/);
    expect(result.position).toBe(head.globalPosition + 1);
    expect(ws.preview("2026-Q1").closed?.eventId).toBe(result.eventId);
    expect(ws.preview("2026-Q1").canClose).toBe(false);
  });

  it("closing twice is a no-op that returns the first close", async () => {
    await ws.record(section8History());
    const first = await ws.close("2026-Q1", { actor: "fin@example.com" });
    await ws.record([deal("D9", "1000.00", "2026-04-02")]);
    const again = await ws.close("2026-Q1", { actor: "someone-else@example.com" });
    expect(again.alreadyClosed).toBe(true);
    expect(again.eventId).toBe(first.eventId);
    expect(again.position).toBe(first.position);
    expect(again.close).toEqual(first.close);
    const page = await store.readAll({ eventTypes: ["PeriodClosed"] });
    expect(page.events).toHaveLength(1);
  });

  it("two workspaces closing the same period at once record exactly one close", async () => {
    await ws.record(section8History());
    const other = await IcmWorkspace.open({ store });
    const [a, b] = await Promise.all([
      ws.close("2026-Q1", { actor: "a@example.com" }),
      other.close("2026-Q1", { actor: "b@example.com" }),
    ]);
    expect(a.eventId).toBe(b.eventId);
    expect([a.alreadyClosed, b.alreadyClosed].sort()).toEqual([false, true]);
    expect((await store.readAll({ eventTypes: ["PeriodClosed"] })).events).toHaveLength(1);
  });
});

describe("payroll export", () => {
  it("has one row per rep and per-currency totals that match the statements to the cent", async () => {
    await ws.record([
      ...section8History(),
      ev("AdjustmentRecorded", "adj-ben-1", {
        adjustmentId: "adj-ben-1",
        repId: "ben",
        period: "2026-Q1",
        amount: "-0.01",
        currency: "USD",
        reason: "rounding correction",
        author: "fin@example.com",
        countsTowardQuota: false,
      }),
    ]);
    await ws.close("2026-Q1", { actor: "fin@example.com" });
    const csv = ws.payrollCsv("2026-Q1");
    const [header, ...rows] = csv
      .trimEnd()
      .split("\n")
      .map((l) => l.split(","));
    expect(header?.slice(0, 3)).toEqual(["rep", "currency", "payable"]);
    const statements = ws.statements("2026-Q1");
    const repRows = rows.filter((r) => r[0] !== "TOTAL");
    expect(repRows.map((r) => [r[0], r[2]])).toEqual(statements.map((s) => [s.repId, s.payable.toFixed(2)]));
    // Every row: payable = sum of the kind columns.
    for (const r of rows) {
      const parts = r.slice(3).reduce((sum, x) => sum.plus(x), new Decimal(0));
      expect(parts.toFixed(2)).toBe(r[2]);
    }
    const total = rows.find((r) => r[0] === "TOTAL" && r[1] === "USD");
    const sum = statements.reduce((acc, s) => acc.plus(s.payable), new Decimal(0));
    expect(total?.[2]).toBe(sum.toFixed(2));
    expect(total?.[2]).toBe("26833.32");
    expect(header).toContain("adjustment");
  });
});
