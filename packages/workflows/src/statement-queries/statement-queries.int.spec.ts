import type { EventStore } from "@icm/event-store";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deal, ev, section8History } from "../testing/history.js";
import { SharedPglite, tickingClock } from "../testing/pglite.js";
import { IcmWorkspace, InvalidInputError, NotFoundError } from "../workspace/index.js";

// Statement queries on PGlite: late facts after close, DOMAIN §8 cancellation, as-of, diff, explain, what-if.

const db = new SharedPglite();
let store: EventStore;
let ws: IcmWorkspace;
beforeAll(() => db.start());
afterAll(() => db.stop());
beforeEach(async () => {
  store = await db.store({ clock: tickingClock() });
  ws = await IcmWorkspace.open({ store });
});
afterEach(async () => {
  await store.close();
});

const money = (d: { toFixed(n: number): string }) => d.toFixed(2);
const cancelD2 = ev("DealCancelled", "cancel-D2", {
  dealId: "D2",
  cancelDate: "2026-04-20",
  reason: "customer backed out",
});

describe("late facts after close", () => {
  it("a late deal becomes a prior-period adjustment in the next period; the closed statement is unchanged", async () => {
    await ws.record(section8History());
    const closed = ws.statement("ana", "2026-Q1");
    const close = await ws.close("2026-Q1", { actor: "fin@example.com" });
    const { lastPosition } = await ws.record([deal("D4", "10000.00", "2026-03-28")]);
    const q1 = ws.statement("ana", "2026-Q1");
    expect(money(q1.payable)).toBe("23500.00");
    expect(q1.entries.map((e) => e.id)).toEqual(closed.entries.map((e) => e.id));
    expect(ws.preview("2026-Q1").statements.find((s) => s.repId === "ana")?.digest).toBe(
      close.close.statements.find((s) => s.repId === "ana")?.digest,
    );
    const q2 = ws.statement("ana", "2026-Q2");
    const ppa = q2.entries.filter((e) => e.kind === "prior_period_adjustment");
    // 10,000 more at 180% attainment → 190%: all of it in the 20% band.
    expect(ppa.map((e) => money(e.amount))).toEqual(["2000.00"]);
    expect(ppa[0]?.trace.sourceEventIds).toContain("deal-D4");
    expect(ppa[0]?.trace.positions).toContain(lastPosition);
  });

  it("DOMAIN §8: deal 2 cancelled after close pays −12,000 by recompute", async () => {
    await ws.record(section8History("recompute"));
    await ws.close("2026-Q1", { actor: "fin@example.com" });
    await ws.record([cancelD2]);
    expect(money(ws.statement("ana", "2026-Q1").payable)).toBe("23500.00");
    const q2 = ws.statement("ana", "2026-Q2");
    const ppa = q2.entries.filter((e) => e.kind === "prior_period_adjustment");
    expect(ppa.map((e) => money(e.amount))).toEqual(["-12000.00"]);
    expect(ppa[0]?.trace.sourceEventIds).toContain("cancel-D2");
    expect(money(q2.payable)).toBe("-12000.00");
  });

  it("DOMAIN §8: deal 2 cancelled after close claws back −8,500 at the original rate", async () => {
    await ws.record(section8History("original_rate"));
    await ws.close("2026-Q1", { actor: "fin@example.com" });
    await ws.record([cancelD2]);
    expect(money(ws.statement("ana", "2026-Q1").payable)).toBe("23500.00");
    const q2 = ws.statement("ana", "2026-Q2");
    expect(money(q2.totals.clawback)).toBe("-8500.00");
    expect(money(q2.payable)).toBe("-8500.00");
  });
});

describe("as of", () => {
  it("answers what a statement said at a past log position and at a past time", async () => {
    const { lastPosition: p1 } = await ws.record(section8History());
    await ws.record([deal("D4", "10000.00", "2026-03-28")]);
    const now = ws.statement("ana", "2026-Q1");
    const then = ws.statement("ana", "2026-Q1", { position: p1 });
    expect(money(now.payable)).toBe("25500.00");
    expect(money(then.payable)).toBe("23500.00");
    expect(then.throughPosition).toBe(p1);
    const timeOfP1 = (await store.readAll({ after: p1 - 1, limit: 1 })).events[0]?.recordedAt ?? "";
    expect(timeOfP1 < ((await store.readAll({ after: p1, limit: 1 })).events[0]?.recordedAt ?? "")).toBe(
      true,
    );
    expect(ws.positionOf({ time: timeOfP1 })).toBe(p1);
    expect(money(ws.statement("ana", "2026-Q1", { time: timeOfP1 }).payable)).toBe("23500.00");
    expect(ws.positionOf({ time: "2020-01-01T00:00:00Z" })).toBe(0);
    expect(() => ws.statement("ana", "2026-Q1", { time: "yesterday" })).toThrow(InvalidInputError);
  });
});

describe("diff", () => {
  it("names the late events behind each difference", async () => {
    await ws.record(section8History("recompute"));
    const close = await ws.close("2026-Q1", { actor: "fin@example.com" });
    const { lastPosition } = await ws.record([cancelD2, deal("D5", "5000.00", "2026-04-25")]);
    const diff = ws.diff("ana", "2026-Q2", close.position, lastPosition);
    expect(diff.payableBefore).toBe("0.00");
    expect(diff.payableAfter).toBe(money(ws.statement("ana", "2026-Q2").payable));
    const ppa = diff.changes.find((c) => c.kind === "prior_period_adjustment");
    expect(ppa?.change).toBe("added");
    expect(ppa?.delta).toBe("-12000.00");
    expect(ppa?.causes.map((c) => c.eventId)).toContain("cancel-D2");
    const d5 = diff.changes.find((c) => c.dealId === "D5");
    expect(d5?.causes.map((c) => c.eventId)).toEqual(["deal-D5"]);
    expect(diff.events.map((e) => e.eventId)).toEqual(["cancel-D2", "deal-D5"]);
  });

  it("shows removed lines of a cancelled deal in an open period with the cancellation as the cause", async () => {
    const { lastPosition: before } = await ws.record(section8History("recompute"));
    const { lastPosition: after } = await ws.record([
      ev("DealCancelled", "cancel-D3", { dealId: "D3", cancelDate: "2026-03-20", reason: "duplicate order" }),
    ]);
    const diff = ws.diff("ana", "2026-Q1", before, after);
    const d3 = diff.changes.filter((c) => c.dealId === "D3");
    expect(d3.length).toBeGreaterThan(0);
    expect(d3.every((c) => c.causes.some((x) => x.eventId === "cancel-D3"))).toBe(true);
    expect(diff.payableDelta).toBe("-9000.00");
  });
});

describe("explain and what-if", () => {
  it("explains one line with its trace", async () => {
    await ws.record(section8History());
    const line = ws.statement("ana", "2026-Q1").entries.find((e) => e.dealId === "D2");
    expect(line).toBeDefined();
    const explained = ws.explain("ana", "2026-Q1", line?.id ?? "");
    expect(explained.sourceEventIds).toContain("deal-D2");
    expect(explained.text).toContain("Arithmetic:");
    expect(() => ws.explain("ana", "2026-Q1", "no-such-line")).toThrow(NotFoundError);
  });

  it("what-if computes with the same engine and records nothing", async () => {
    await ws.record(section8History());
    const headBefore = await store.head();
    const result = ws.whatIf("ana", {
      amount: "20000.00",
      currency: "USD",
      closeDate: "2026-03-25",
      product: "Widget",
      dealType: "new",
    });
    // 180% → 200%: 20,000 in the 20% band.
    expect(money(result.payableDelta)).toBe("4000.00");
    expect(await store.head()).toEqual(headBefore);
    expect(ws.lastPosition).toBe(headBefore.globalPosition);
    expect(money(ws.statement("ana", "2026-Q1").payable)).toBe("23500.00");
    expect(() =>
      ws.whatIf("ana", {
        amount: "-1",
        currency: "USD",
        closeDate: "2026-03-25",
        product: "W",
        dealType: "new",
      }),
    ).toThrow(InvalidInputError);
  });
});
